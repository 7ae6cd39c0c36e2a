//! `habtm.drop_join_table`.

use pgrx::prelude::*;

use crate::catalog;
use crate::error::{required, OrRaise, Result};
use crate::pg::regclass::RegClass;

/// Drops a registered join table and its catalog rows.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn drop_join_table(join_table: Option<RegClass>) {
    crate::pg::errors::keeping_errors(move || {
        let run = || -> Result<()> {
            let join_table = required("habtm.drop_join_table", "join_table", join_table)?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let association = catalog::registered(client, join_table.0)?;
                let shown = join_table.shown();
                let (a, b) = (association.sides[0].table, association.sides[1].table);
                // the sides only when their triggers change (arrays): a join table's owner may
                // drop it, as DROP TABLE allows, without owning the tables it joins
                if association.has_arrays() {
                    catalog::lock_tables(client, &[join_table.0, a, b])?
                } else {
                    catalog::lock_tables(client, &[join_table.0])?
                }
                catalog::unregister(client, join_table.0)?;
                // its id arrays' triggers go with it (the columns stay, as after normalize)
                crate::arrays::reinstall(client, join_table.0, a, b)?;
                client.update(&format!("DROP TABLE {shown}"), None, &[])?;
                Ok(())
            })
        };
        run().or_raise()
    })
}
