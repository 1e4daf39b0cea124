//! archctl's development tasks, kept out of the shipped binary: the
//! synthetic fleet that benchmarks and scale tests render.

pub mod fleet;
