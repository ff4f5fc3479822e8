//! `Sample` (TABLESAMPLE BERNOULLI / SYSTEM): keeps each input row with probability
//! `percent / 100`. The percentage is evaluated once, before the first row, and checked as
//! PostgreSQL checks it (NULL or outside [0, 100] is 2202H). REPEATABLE seeds the random
//! draws, so the same rows in the same order give the same sample; the sample is not
//! PostgreSQL's (which draws per block and tuple offset), and SYSTEM samples rows, not
//! pages.

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::{Error, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub struct Sample {
    input: Box<dyn Operator>,
    percent: Expr,
    seed: Option<f64>,
    /// The draws and the checked percentage, once evaluated.
    state: Option<(StdRng, f64)>,
}

impl Sample {
    pub fn new(input: Box<dyn Operator>, percent: Expr, seed: Option<f64>) -> Self {
        Sample {
            input,
            percent,
            seed,
            state: None,
        }
    }

    fn start(&self, ctx: &Context) -> Result<(StdRng, f64)> {
        let p = self.percent.eval(&[], ctx)?;
        if p.is_null() {
            return Err(Error::InvalidTablesampleArgument(
                "TABLESAMPLE parameter cannot be null".into(),
            ));
        }
        let p = p
            .as_f64()
            .ok_or_else(|| Error::Internal(format!("sample percentage {p:?}")))?;
        if !(0.0..=100.0).contains(&p) {
            return Err(Error::InvalidTablesampleArgument(
                "sample percentage must be between 0 and 100".into(),
            ));
        }
        let rng = match self.seed {
            Some(s) => StdRng::seed_from_u64(s.to_bits()),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Ok((rng, p))
    }
}

impl Operator for Sample {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.state.is_none() {
            self.state = Some(self.start(ctx)?);
        }
        let (rng, p) = self.state.as_mut().expect("started above");
        while let Some(t) = self.input.next(ctx)? {
            if rng.random::<f64>() * 100.0 < *p {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
