//! The degree-based trigonometric functions (`sind`, `cosd`, `tand`, `cotd`, `asind`,
//! `acosd`, `atand`, `atan2d`) computed as PostgreSQL's `float.c` computes them: the angle
//! reduced to the first quadrant and scaled by the function's value at 30°, 45° or 60°, so
//! the standard angles give exact results (`sind(30) = 0.5`, `tand(45) = 1`).

use crate::{Error, Result};

const RADIANS_PER_DEGREE: f64 = 0.017_453_292_519_943_295;

fn out_of_range() -> Error {
    Error::NumericValueOutOfRange("input is out of range".into())
}

fn sin_30() -> f64 {
    (30.0 * RADIANS_PER_DEGREE).sin()
}

fn one_minus_cos_60() -> f64 {
    1.0 - (60.0 * RADIANS_PER_DEGREE).cos()
}

fn sind_0_to_30(x: f64) -> f64 {
    ((x * RADIANS_PER_DEGREE).sin() / sin_30()) / 2.0
}

fn cosd_0_to_60(x: f64) -> f64 {
    let one_minus_cos_x = 1.0 - (x * RADIANS_PER_DEGREE).cos();
    1.0 - (one_minus_cos_x / one_minus_cos_60()) / 2.0
}

fn sind_q1(x: f64) -> f64 {
    if x <= 30.0 {
        sind_0_to_30(x)
    } else {
        cosd_0_to_60(90.0 - x)
    }
}

fn cosd_q1(x: f64) -> f64 {
    if x <= 60.0 {
        cosd_0_to_60(x)
    } else {
        sind_0_to_30(90.0 - x)
    }
}

fn asind_q1(x: f64) -> f64 {
    if x <= 0.5 {
        (x.asin() / 0.5f64.asin()) * 30.0
    } else {
        90.0 - (x.acos() / 0.5f64.acos()) * 60.0
    }
}

fn acosd_q1(x: f64) -> f64 {
    if x <= 0.5 {
        90.0 - (x.asin() / 0.5f64.asin()) * 30.0
    } else {
        (x.acos() / 0.5f64.acos()) * 60.0
    }
}

/// A degree-based function of one argument, by name.
pub fn eval(name: &str, x: f64) -> Result<f64> {
    if x.is_nan() {
        return Ok(f64::NAN);
    }
    match name {
        "sind" | "cosd" | "tand" | "cotd" if x.is_infinite() => Err(out_of_range()),
        "sind" => {
            let (mut a, mut sign) = (x % 360.0, 1.0);
            if a < 0.0 {
                a = -a;
                sign = -sign;
            }
            if a > 180.0 {
                a -= 180.0;
                sign = -sign;
            }
            if a > 90.0 {
                a = 180.0 - a;
            }
            Ok(sign * sind_q1(a))
        }
        "cosd" => {
            let (mut a, mut sign) = (x % 360.0, 1.0);
            if a < 0.0 {
                a = -a;
            }
            if a > 180.0 {
                a = 360.0 - a;
            }
            if a > 90.0 {
                a = 180.0 - a;
                sign = -sign;
            }
            Ok(sign * cosd_q1(a))
        }
        "tand" | "cotd" => {
            let (mut a, mut sign) = (x % 360.0, 1.0);
            if a < 0.0 {
                a = -a;
                sign = -sign;
            }
            if a > 180.0 {
                a = 360.0 - a;
                sign = -sign;
            }
            if a > 90.0 {
                a = 180.0 - a;
                sign = -sign;
            }
            let r = if name == "tand" {
                let tan_45 = sind_q1(45.0) / cosd_q1(45.0);
                sign * ((sind_q1(a) / cosd_q1(a)) / tan_45)
            } else {
                let cot_45 = cosd_q1(45.0) / sind_q1(45.0);
                sign * ((cosd_q1(a) / sind_q1(a)) / cot_45)
            };
            // No minus zero, as PostgreSQL.
            Ok(if r == 0.0 { 0.0 } else { r })
        }
        "asind" | "acosd" if !(-1.0..=1.0).contains(&x) => Err(out_of_range()),
        "asind" => Ok(if x >= 0.0 { asind_q1(x) } else { -asind_q1(-x) }),
        "acosd" => Ok(if x >= 0.0 {
            acosd_q1(x)
        } else {
            90.0 + asind_q1(-x)
        }),
        _ => Ok((x.atan() / 1.0f64.atan()) * 45.0),
    }
}

/// `atan2d(y, x)`.
pub fn atan2d(y: f64, x: f64) -> f64 {
    if y.is_nan() || x.is_nan() {
        return f64::NAN;
    }
    (y.atan2(x) / 1.0f64.atan()) * 45.0
}
