//! Paging: every list endpoint takes `page` (1-based) and `limit` with an upper bound.

use serde::Serialize;

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: u32,
    /// Items per page.
    pub limit: u32,
}

/// Why a page request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `page` is not a positive integer.
    #[error("page must be a positive integer")]
    BadPage,
    /// `limit` is out of its range (the upper bound given).
    #[error("limit must be between 1 and {0}")]
    BadLimit(u32),
}

impl PageRequest {
    /// Builds a page request from optional raw values, applying `default_limit` and refusing a
    /// limit above `max_limit` (a silent clamp would hide client bugs).
    pub fn new(page: Option<i64>, limit: Option<i64>, default_limit: u32, max_limit: u32) -> Result<Self, PageError> {
        let page = match page {
            None => 1,
            Some(p) if p >= 1 && p <= i64::from(u32::MAX) => p as u32,
            Some(_) => return Err(PageError::BadPage),
        };
        let limit = match limit {
            None => default_limit,
            Some(l) if l >= 1 && l <= i64::from(max_limit) => l as u32,
            Some(_) => return Err(PageError::BadLimit(max_limit)),
        };
        Ok(Self { page, limit })
    }

    /// How many items come before this page.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

/// One page of results with the total count of matching rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items there are on all pages.
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A raw query value: absent, near the edges, or anything at all.
    fn raw() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![
            Just(None),
            (-3i64..=3).prop_map(Some),
            (i64::from(u32::MAX) - 2..=i64::from(u32::MAX) + 2).prop_map(Some),
            any::<i64>().prop_map(Some),
        ]
    }

    proptest! {
        #[test]
        fn accepts_exactly_the_valid_requests_and_never_overflows(
            page in raw(),
            limit in raw(),
            (max_limit, default_limit) in (1u32..=10_000).prop_flat_map(|max| (Just(max), 1..=max)),
        ) {
            let page_ok = page.is_none_or(|p| (1..=i64::from(u32::MAX)).contains(&p));
            let limit_ok = limit.is_none_or(|l| (1..=i64::from(max_limit)).contains(&l));
            match PageRequest::new(page, limit, default_limit, max_limit) {
                Ok(request) => {
                    prop_assert!(page_ok && limit_ok);
                    prop_assert_eq!(i64::from(request.page), page.unwrap_or(1));
                    prop_assert_eq!(i64::from(request.limit), limit.unwrap_or(i64::from(default_limit)));
                    prop_assert!((1..=max_limit).contains(&request.limit));
                    let offset = request.offset();
                    prop_assert!(offset >= 0);
                    prop_assert_eq!(i128::from(offset), (i128::from(request.page) - 1) * i128::from(request.limit));
                }
                Err(PageError::BadPage) => prop_assert!(!page_ok),
                Err(PageError::BadLimit(max)) => {
                    prop_assert!(page_ok && !limit_ok);
                    prop_assert_eq!(max, max_limit);
                }
            }
        }
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageRequest::new(None, None, 50, 100), Ok(PageRequest { page: 1, limit: 50 }));
        assert_eq!(PageRequest::new(Some(3), Some(10), 50, 100).map(PageRequest::offset), Ok(20));
        assert_eq!(PageRequest::new(Some(0), None, 50, 100), Err(PageError::BadPage));
        assert_eq!(PageRequest::new(Some(-1), None, 50, 100), Err(PageError::BadPage));
        assert_eq!(PageRequest::new(None, Some(101), 50, 100), Err(PageError::BadLimit(100)));
        assert_eq!(PageRequest::new(None, Some(0), 50, 100), Err(PageError::BadLimit(100)));
    }
}
