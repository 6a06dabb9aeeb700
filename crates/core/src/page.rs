//! Paging: every list endpoint takes `page` (1-based) and `limit` with an upper bound.

use serde::Serialize;

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub limit: u32,
}

/// Why a page request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("page must be a positive integer")]
    BadPage,
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

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

/// One page of results with the total count of matching rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

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
