//! `obsctl dora …`.

pub mod report;
