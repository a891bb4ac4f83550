//! Units (đơn vị): the administrative level of a unit in the tree.

string_enum! {
    /// The level of a unit. The tree's shape is not constrained by level (a district's offices
    /// are departments under it); only the codes and the absence of cycles are enforced.
    pub enum UnitLevel {
        Province => "province",
        Department => "department",
        District => "district",
        Commune => "commune",
    }
}
