//! kfit-solve: see planner.rs.draft (wired in once the Kconfig engine API lands).
