//! [`BudgetStore`] on [`Database`]: the monthly limits, replaced as one set in one transaction.

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{StoreError, Timestamp};
use pincer_usage::budget::{Budget, BudgetScope, BudgetStore};

use crate::Database;
use crate::backend;
use crate::error::DbError;
use crate::schema::budgets;

#[async_trait]
impl BudgetStore for Database {
    async fn budgets(&self) -> Result<Vec<Budget>, StoreError> {
        self.run("budgets.list", |conn| {
            let rows: Vec<(String, String, i64)> = budgets::table
                .order((budgets::scope, budgets::target))
                .select((budgets::scope, budgets::target, budgets::limit_nanos))
                .load(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for (scope, target, limit) in rows {
                out.push(Budget {
                    scope: BudgetScope::parse(&scope, &target).ok_or(DbError::Corrupt("budgets.scope"))?,
                    limit_nanos: u64::try_from(limit).map_err(|_| DbError::Corrupt("budgets.limit_nanos"))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn replace_budgets(&self, set: &[Budget], now: Timestamp) -> Result<(), StoreError> {
        let rows: Vec<(String, String, i64)> = set
            .iter()
            .map(|b| (b.scope.kind().to_string(), b.scope.target(), i64::try_from(b.limit_nanos).unwrap_or(i64::MAX)))
            .collect();
        self.run_write("budgets.replace", move |conn| {
            backend::write(conn, None, |conn| {
                diesel::delete(budgets::table).execute(conn)?;
                for (scope, target, limit) in &rows {
                    diesel::insert_into(budgets::table)
                        .values((
                            budgets::scope.eq(scope),
                            budgets::target.eq(target),
                            budgets::limit_nanos.eq(limit),
                            budgets::updated_at.eq(now.millis()),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }
}
