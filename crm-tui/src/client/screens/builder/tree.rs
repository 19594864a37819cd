//! The builder's criteria tree as a person edits it: groups (all / any / not) and conditions,
//! addressed by path, flattened into rows for the screen, and converted to and from the JSON
//! criteria crm-core reads. Incomplete states (a `not` without its child) are allowed while
//! editing; [`Tree::to_json`] says what is missing.

use crate::client::format::plain;
use serde_json::{Map, Value, json};

/// The kind of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    All,
    Any,
    Not,
}

impl Group {
    fn word(self) -> &'static str {
        match self {
            Group::All => "all of",
            Group::Any => "any of",
            Group::Not => "not",
        }
    }

    /// The next kind `t` switches to.
    pub fn next(self) -> Group {
        match self {
            Group::All => Group::Any,
            Group::Any => Group::Not,
            Group::Not => Group::All,
        }
    }
}

/// A condition: field, operator, value and count options, as JSON values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: String,
    pub value: Value,
    /// `withinDays`, `status`, `pipelineId`, `stageId`.
    pub options: Map<String, Value>,
}

impl Condition {
    /// How the row reads: `churnRisk gte 70`, `ticket.count(withinDays: 30) gte 3`.
    pub fn label(&self) -> String {
        let options: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("{k}: {}", plain(v)))
            .collect();
        let options = if options.is_empty() {
            String::new()
        } else {
            format!("({})", options.join(", "))
        };
        format!("{}{options} {} {}", self.field, self.op, plain(&self.value))
    }
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Group(Group, Vec<Node>),
    Condition(Condition),
}

/// One line of the tree on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub depth: usize,
    pub path: Vec<usize>,
    pub text: String,
    pub is_group: bool,
}

/// The whole tree: its root is always a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub root: Node,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            root: Node::Group(Group::All, Vec::new()),
        }
    }
}

impl Tree {
    /// The tree of JSON criteria (as crm-core answers them); a root condition is wrapped in
    /// an `all` group so there is always a group to add to.
    pub fn from_json(value: &Value) -> Tree {
        let root = match node_from_json(value) {
            n @ Node::Group(..) => n,
            c @ Node::Condition(_) => Node::Group(Group::All, vec![c]),
        };
        Tree { root }
    }

    /// The JSON criteria, or what is missing (a `not` needs exactly one child).
    pub fn to_json(&self) -> Result<Value, String> {
        node_to_json(&self.root)
    }

    /// The rows shown, depth first.
    pub fn rows(&self) -> Vec<Row> {
        fn walk(node: &Node, depth: usize, path: &mut Vec<usize>, out: &mut Vec<Row>) {
            match node {
                Node::Group(kind, children) => {
                    let empty = if children.is_empty() { " (empty)" } else { "" };
                    out.push(Row {
                        depth,
                        path: path.clone(),
                        text: format!("{}:{empty}", kind.word()),
                        is_group: true,
                    });
                    for (i, child) in children.iter().enumerate() {
                        path.push(i);
                        walk(child, depth + 1, path, out);
                        path.pop();
                    }
                }
                Node::Condition(c) => out.push(Row {
                    depth,
                    path: path.clone(),
                    text: c.label(),
                    is_group: false,
                }),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, 0, &mut Vec::new(), &mut out);
        out
    }

    pub fn get(&self, path: &[usize]) -> Option<&Node> {
        path.iter().try_fold(&self.root, |node, &i| match node {
            Node::Group(_, children) => children.get(i),
            Node::Condition(_) => None,
        })
    }

    fn get_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        path.iter().try_fold(&mut self.root, |node, &i| match node {
            Node::Group(_, children) => children.get_mut(i),
            Node::Condition(_) => None,
        })
    }

    /// Where a new node goes when the cursor is on `path`: into the group under the cursor, or
    /// after the condition under it. Returns the new node's path.
    pub fn insert(&mut self, path: &[usize], node: Node) -> Vec<usize> {
        if let Some(Node::Group(_, children)) = self.get_mut(path) {
            children.push(node);
            let mut at = path.to_vec();
            at.push(children.len() - 1);
            return at;
        }
        let (parent, index) = split(path);
        if let Some(Node::Group(_, children)) = self.get_mut(parent) {
            let at = (index + 1).min(children.len());
            children.insert(at, node);
            let mut out = parent.to_vec();
            out.push(at);
            return out;
        }
        path.to_vec()
    }

    /// Replaces the node at `path` (a condition being edited).
    pub fn replace(&mut self, path: &[usize], node: Node) {
        if let Some(slot) = self.get_mut(path) {
            *slot = node;
        }
    }

    /// Removes the node at `path` (never the root); returns where the cursor goes.
    pub fn remove(&mut self, path: &[usize]) -> Option<Vec<usize>> {
        if path.is_empty() {
            return None;
        }
        let (parent, index) = split(path);
        let Some(Node::Group(_, children)) = self.get_mut(parent) else {
            return None;
        };
        children.remove(index);
        let mut at = parent.to_vec();
        if !children.is_empty() {
            at.push(index.min(children.len() - 1));
        }
        Some(at)
    }

    /// Switches the kind of the group at `path` (or of the condition's group).
    pub fn switch(&mut self, path: &[usize]) {
        let group = match self.get(path) {
            Some(Node::Group(..)) => path,
            _ => split(path).0,
        };
        if let Some(Node::Group(kind, _)) = self.get_mut(group) {
            *kind = kind.next();
        }
    }

    /// Moves the node at `path` into the group just before it (its last child); returns its
    /// new path, or `None` when the node before it is not a group.
    pub fn indent(&mut self, path: &[usize]) -> Option<Vec<usize>> {
        let (parent, index) = split(path);
        if path.is_empty() || index == 0 {
            return None;
        }
        let mut before = parent.to_vec();
        before.push(index - 1);
        if !matches!(self.get(&before), Some(Node::Group(..))) {
            return None;
        }
        let node = self.take(path)?;
        let Some(Node::Group(_, children)) = self.get_mut(&before) else {
            return None;
        };
        children.push(node);
        before.push(children.len() - 1);
        Some(before)
    }

    /// Moves the node at `path` out of its group, just after it; returns its new path.
    pub fn outdent(&mut self, path: &[usize]) -> Option<Vec<usize>> {
        if path.len() < 2 {
            return None;
        }
        let (parent, _) = split(path);
        let (grandparent, parent_index) = split(parent);
        let (grandparent, parent_index) = (grandparent.to_vec(), parent_index);
        let node = self.take(path)?;
        let Some(Node::Group(_, children)) = self.get_mut(&grandparent) else {
            return None;
        };
        children.insert(parent_index + 1, node);
        let mut at = grandparent;
        at.push(parent_index + 1);
        Some(at)
    }

    fn take(&mut self, path: &[usize]) -> Option<Node> {
        let (parent, index) = split(path);
        match self.get_mut(parent) {
            Some(Node::Group(_, children)) if index < children.len() => {
                Some(children.remove(index))
            }
            _ => None,
        }
    }
}

/// A path's parent and its index in it (the root has no parent: `([], 0)`).
fn split(path: &[usize]) -> (&[usize], usize) {
    match path.split_last() {
        Some((last, parent)) => (parent, *last),
        None => (&[], 0),
    }
}

fn node_from_json(value: &Value) -> Node {
    let Some(o) = value.as_object() else {
        return Node::Group(Group::All, Vec::new());
    };
    let list = |v: &Value| {
        v.as_array()
            .map(|items| items.iter().map(node_from_json).collect())
            .unwrap_or_default()
    };
    if let Some(v) = o.get("all") {
        return Node::Group(Group::All, list(v));
    }
    if let Some(v) = o.get("any") {
        return Node::Group(Group::Any, list(v));
    }
    if let Some(v) = o.get("not") {
        return Node::Group(Group::Not, vec![node_from_json(v)]);
    }
    let mut options = o.clone();
    let take =
        |options: &mut Map<String, Value>, key: &str| options.remove(key).unwrap_or(Value::Null);
    let field = take(&mut options, "field");
    let op = take(&mut options, "op");
    let value = take(&mut options, "value");
    Node::Condition(Condition {
        field: field.as_str().unwrap_or_default().to_owned(),
        op: op.as_str().unwrap_or_default().to_owned(),
        value,
        options,
    })
}

fn node_to_json(node: &Node) -> Result<Value, String> {
    match node {
        Node::Group(Group::Not, children) => match children.as_slice() {
            [child] => Ok(json!({"not": node_to_json(child)?})),
            [] => Err("a `not` group needs a condition or group inside it".into()),
            _ => Err("a `not` group holds one node: group the others with `g`".into()),
        },
        Node::Group(kind, children) => {
            let items = children
                .iter()
                .map(node_to_json)
                .collect::<Result<Vec<_>, _>>()?;
            let key = if *kind == Group::All { "all" } else { "any" };
            Ok(json!({ key: items }))
        }
        Node::Condition(c) => {
            let mut o = c.options.clone();
            o.insert("field".into(), Value::String(c.field.clone()));
            o.insert("op".into(), Value::String(c.op.clone()));
            o.insert("value".into(), c.value.clone());
            Ok(Value::Object(o))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, value: i64) -> Node {
        Node::Condition(Condition {
            field: field.into(),
            op: "gte".into(),
            value: json!(value),
            options: Map::new(),
        })
    }

    #[test]
    fn json_round_trips_through_the_tree() {
        let criteria = json!({"all": [
            {"field": "churnRisk", "op": "gte", "value": 70},
            {"any": [
                {"field": "ticket.count", "op": "gte", "value": 3, "withinDays": 30},
                {"not": {"field": "tags", "op": "in", "value": ["vip"]}}
            ]}
        ]});
        assert_eq!(Tree::from_json(&criteria).to_json().unwrap(), criteria);
    }

    #[test]
    #[allow(clippy::many_single_char_names)] // nodes named by their field
    fn add_indent_outdent_switch_and_remove() {
        let mut t = Tree::default();
        let a = t.insert(&[], cond("a", 1));
        assert_eq!(a, vec![0]);
        let g = t.insert(&a, Node::Group(Group::All, Vec::new()));
        assert_eq!(g, vec![1]);
        let b = t.insert(&g, cond("b", 2));
        assert_eq!(b, vec![1, 0]);
        let c = t.insert(&b, cond("c", 3));
        assert_eq!(c, vec![1, 1]);
        t.switch(&c);
        assert_eq!(
            t.to_json().unwrap(),
            json!({"all": [
                {"field": "a", "op": "gte", "value": 1},
                {"any": [{"field": "b", "op": "gte", "value": 2}, {"field": "c", "op": "gte", "value": 3}]}
            ]})
        );
        let out = t.outdent(&c).unwrap();
        assert_eq!(out, vec![2]);
        assert_eq!(
            t.indent(&out).unwrap(),
            vec![1, 1],
            "back into the group before it"
        );
        assert_eq!(t.indent(&[0]), None, "nothing before the first node");
        assert_eq!(t.remove(&[1, 0]).unwrap(), vec![1, 0]);
        assert_eq!(t.rows().len(), 4);
        assert_eq!(t.remove(&[]), None, "the root stays");
    }

    #[test]
    fn a_not_group_needs_one_child() {
        let mut t = Tree::default();
        t.switch(&[]);
        t.switch(&[]);
        assert!(t.to_json().is_err());
        t.insert(&[], cond("a", 1));
        assert_eq!(
            t.to_json().unwrap(),
            json!({"not": {"field": "a", "op": "gte", "value": 1}})
        );
    }
}
