//! Benchmarks (`motcua bench …`): a generator of realistic data at national scale, and
//! measurements of the service and of the database against a baseline taken in the same run.
//! Nothing here runs in the service; BENCHMARKS.md gives the commands and the figures.

pub mod baseline;
pub mod bulk;
pub mod catalogue;
pub mod crash;
pub mod demo;
pub mod load;
pub mod measure;
pub mod seed;
pub mod sqlite_baseline;
