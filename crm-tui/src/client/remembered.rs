//! What the client remembers between runs: the view each tab showed last, per database file,
//! tenant and user, in a small JSON file in the user's state folder. Losing it loses nothing
//! but that convenience, so a file that cannot be read or written is left alone.

use crate::client::worker::Tab;
use crm_core::ids::ViewId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The views last shown, for one database, tenant and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    file: PathBuf,
    key: String,
    /// Tab title → view id.
    views: BTreeMap<String, i64>,
}

type Store = BTreeMap<String, BTreeMap<String, i64>>;

impl Remembered {
    /// What was remembered for `db`, `tenant` and `user`, kept in `file`.
    pub fn load(file: PathBuf, db: &Path, tenant: &str, user: Option<i64>) -> Remembered {
        let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
        let key = format!(
            "{}#{tenant}#{}",
            crm_core::store::shown(&db),
            user.unwrap_or(0)
        );
        let views = read(&file).remove(&key).unwrap_or_default();
        Remembered { file, key, views }
    }

    /// The file in the user's state folder.
    pub fn default_file() -> Option<PathBuf> {
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .map(|d| d.join("crm").join("views.json"))
    }

    /// The view each tab showed last.
    pub fn views(&self) -> Vec<(Tab, ViewId)> {
        Tab::ALL
            .iter()
            .filter_map(|t| self.views.get(t.title()).map(|id| (*t, ViewId(*id))))
            .collect()
    }

    /// Remembers what each tab shows now; writes the file when that changed.
    pub fn update(&mut self, shown: &[(Tab, Option<ViewId>)]) {
        let mut views = BTreeMap::new();
        for (tab, view) in shown {
            if let Some(id) = view {
                views.insert(tab.title().to_owned(), id.0);
            }
        }
        if views == self.views {
            return;
        }
        self.views = views;
        let mut all = read(&self.file);
        all.insert(self.key.clone(), self.views.clone());
        if let Some(dir) = self.file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(text) = serde_json::to_string_pretty(&all)
            && let Err(e) = std::fs::write(&self.file, text)
        {
            tracing::warn!(file = %self.file.display(), error = %e, "views not remembered");
        }
    }
}

fn read(file: &Path) -> Store {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_remembered_per_database_tenant_and_user() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state/views.json");
        let db = dir.path().join("crm.db");
        let mut ada = Remembered::load(file.clone(), &db, "demo", Some(1));
        assert!(ada.views().is_empty());
        ada.update(&[(Tab::Leads, Some(ViewId(3))), (Tab::Deals, None)]);
        let mut bo = Remembered::load(file.clone(), &db, "demo", Some(2));
        assert!(bo.views().is_empty(), "another user's");
        bo.update(&[(Tab::Deals, Some(ViewId(5)))]);
        assert_eq!(
            Remembered::load(file.clone(), &db, "demo", Some(1)).views(),
            [(Tab::Leads, ViewId(3))]
        );
        assert!(
            Remembered::load(file.clone(), &db, "other", Some(1))
                .views()
                .is_empty()
        );
        // A damaged file is as good as none, and is replaced on the next change.
        std::fs::write(&file, "{not json").unwrap();
        let mut again = Remembered::load(file.clone(), &db, "demo", Some(1));
        assert!(again.views().is_empty());
        again.update(&[(Tab::Quotes, Some(ViewId(9)))]);
        assert_eq!(
            Remembered::load(file, &db, "demo", Some(1)).views(),
            [(Tab::Quotes, ViewId(9))]
        );
    }
}
