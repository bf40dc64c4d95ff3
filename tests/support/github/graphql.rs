//! GitHub's GraphQL endpoint: every query validated against GitHub's full
//! public schema (`contracts/github/graphql-schema.graphql`, parsed
//! leniently: the published file defines a few fields twice), and the
//! answers of `dora report`'s queries (`ObsctlDoraDeployments`,
//! `ObsctlDoraIncidents`, `ObsctlDoraEnvironments`) from [`super::Records`]
//! (incidents also from [`super::issues`]) and of `ObsctlIssuesByLabel` from
//! [`super::issues`], 100 nodes a page, cursors being offsets.

use std::collections::HashMap;
use std::sync::OnceLock;

use graphql_parser::query as q;
use graphql_parser::schema as s;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{Call, GH_OWNER, GH_REPO, Route, State, contract, json_reply};

pub fn routes() -> Vec<Route> {
    vec![Route::new("github.graphql", "POST", "/graphql", answer).check(check)]
}

/// Field name → (argument name → type, field type).
type Fields = HashMap<String, (HashMap<String, String>, String)>;

/// The parts of GitHub's schema a query is checked against.
pub struct Schema {
    /// type name → field name → (argument names → type, field type name)
    fields: HashMap<String, Fields>,
    inputs: HashMap<String, HashMap<String, String>>,
    enums: HashMap<String, Vec<String>>,
    scalars: Vec<String>,
}

fn named(t: &s::Type<'_, String>) -> String {
    match t {
        s::Type::NamedType(n) => n.clone(),
        s::Type::ListType(t) | s::Type::NonNullType(t) => named(t),
    }
}

/// GitHub's schema, parsed once per test binary; `None` when the contracts
/// are absent.
pub fn schema() -> Option<&'static Schema> {
    static SCHEMA: OnceLock<Option<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| contract::load_text("github/graphql-schema.graphql").map(|t| parse(&t)))
        .as_ref()
}

/// Parse a schema text leniently: a field defined twice keeps the last.
pub fn parse(text: &str) -> Schema {
    let doc = s::parse_schema::<String>(text).expect("the schema parses");
    let mut schema = Schema {
        fields: HashMap::new(),
        inputs: HashMap::new(),
        enums: HashMap::new(),
        scalars: ["String", "Int", "Boolean", "ID", "Float"]
            .map(String::from)
            .to_vec(),
    };
    for def in doc.definitions {
        let s::Definition::TypeDefinition(t) = def else {
            continue;
        };
        let mut add_fields = |name: String, fields: Vec<s::Field<'_, String>>| {
            let entry = schema.fields.entry(name).or_default();
            for f in fields {
                let args = f
                    .arguments
                    .iter()
                    .map(|a| (a.name.clone(), named(&a.value_type)))
                    .collect();
                entry.insert(f.name.clone(), (args, named(&f.field_type)));
            }
        };
        match t {
            s::TypeDefinition::Object(o) => add_fields(o.name, o.fields),
            s::TypeDefinition::Interface(i) => add_fields(i.name, i.fields),
            s::TypeDefinition::InputObject(i) => {
                schema.inputs.entry(i.name).or_default().extend(
                    i.fields
                        .iter()
                        .map(|f| (f.name.clone(), named(&f.value_type))),
                );
            }
            s::TypeDefinition::Enum(e) => {
                schema
                    .enums
                    .insert(e.name, e.values.iter().map(|v| v.name.clone()).collect());
            }
            s::TypeDefinition::Scalar(sc) => schema.scalars.push(sc.name),
            _ => {}
        }
    }
    schema
}

fn check_value(
    schema: &Schema,
    ty: &str,
    value: &q::Value<'_, String>,
    at: &str,
    errors: &mut Vec<String>,
) {
    match value {
        q::Value::Object(obj) => match schema.inputs.get(ty) {
            Some(fields) => {
                for (k, v) in obj {
                    match fields.get(k) {
                        Some(t) => check_value(schema, t, v, &format!("{at}.{k}"), errors),
                        None => errors.push(format!("{at}: input {ty} has no field {k}")),
                    }
                }
            }
            None => errors.push(format!("{at}: {ty} is not an input object")),
        },
        q::Value::Enum(e) if !schema.enums.get(ty).is_some_and(|vals| vals.contains(e)) => {
            errors.push(format!("{at}: {e} is not a value of {ty}"));
        }
        q::Value::List(items) => {
            for (i, v) in items.iter().enumerate() {
                check_value(schema, ty, v, &format!("{at}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

fn check_selection(
    schema: &Schema,
    ty: &str,
    set: &q::SelectionSet<'_, String>,
    at: &str,
    errors: &mut Vec<String>,
) {
    for sel in &set.items {
        let q::Selection::Field(f) = sel else {
            errors.push(format!("{at}: fragments are not used"));
            continue;
        };
        let here = format!("{at}.{}", f.name);
        if f.name == "__typename" {
            continue;
        }
        let Some((args, field_ty)) = schema.fields.get(ty).and_then(|fs| fs.get(&f.name)) else {
            errors.push(format!("{here}: {ty} has no field {}", f.name));
            continue;
        };
        for (name, value) in &f.arguments {
            match args.get(name) {
                Some(arg_ty) => {
                    check_value(schema, arg_ty, value, &format!("{here}({name})"), errors)
                }
                None => errors.push(format!("{here}: no argument {name}")),
            }
        }
        if !f.selection_set.items.is_empty() {
            check_selection(schema, field_ty, &f.selection_set, &here, errors);
        } else if schema.fields.contains_key(field_ty) {
            errors.push(format!("{here}: {field_ty} needs a selection"));
        }
    }
}

fn var_type_name(t: &q::Type<'_, String>) -> String {
    match t {
        q::Type::NamedType(n) => n.clone(),
        q::Type::ListType(t) | q::Type::NonNullType(t) => var_type_name(t),
    }
}

/// Every problem of `query` (with `variables` as sent, if any) against the
/// schema: unknown fields, arguments, input fields, enum values, variable
/// types, and required variables that were not sent.
pub fn validate(schema: &Schema, query: &str, variables: Option<&Value>) -> Vec<String> {
    let doc = match q::parse_query::<String>(query) {
        Ok(d) => d,
        Err(e) => return vec![format!("the query does not parse: {e}")],
    };
    let mut errors = Vec::new();
    for def in &doc.definitions {
        let q::Definition::Operation(q::OperationDefinition::Query(op)) = def else {
            errors.push("only named queries".into());
            continue;
        };
        for v in &op.variable_definitions {
            let t = var_type_name(&v.var_type);
            if !schema.scalars.contains(&t)
                && !schema.inputs.contains_key(&t)
                && !schema.enums.contains_key(&t)
            {
                errors.push(format!("${}: unknown type {t}", v.name));
            }
            let required =
                matches!(v.var_type, q::Type::NonNullType(_)) && v.default_value.is_none();
            if let Some(vars) = variables {
                if required && vars.get(&v.name).is_none_or(Value::is_null) {
                    errors.push(format!(
                        "${}: required ({}) but not sent",
                        v.name, v.var_type
                    ));
                }
            }
        }
        check_selection(schema, "Query", &op.selection_set, "Query", &mut errors);
    }
    errors
}

/// The route's check: the query against the schema (nothing when the
/// contracts are absent).
pub fn check(_: &State, c: &Call) -> Vec<String> {
    let Some(query) = c.body["query"].as_str() else {
        return vec!["no query".into()];
    };
    match schema() {
        Some(schema) => validate(schema, query, Some(&c.body["variables"])),
        None => vec![],
    }
}

/// The answer: `dora report`'s queries from the records.
pub fn answer(s: &mut State, c: &Call) -> ResponseTemplate {
    let query = c.body["query"].as_str().unwrap_or("");
    let vars = &c.body["variables"];
    if vars["owner"] != GH_OWNER || vars["name"] != GH_REPO {
        return json_reply(
            200,
            json!({
                "data": {"repository": null},
                "errors": [{"type": "NOT_FOUND", "path": ["repository"],
                    "message": format!("Could not resolve to a Repository with the name '{}/{}'.",
                        vars["owner"].as_str().unwrap_or(""), vars["name"].as_str().unwrap_or(""))}]
            }),
        );
    }
    if query.contains("ObsctlDoraEnvironments") {
        let envs = &s.github.gql_environments;
        let nodes: Vec<Value> = envs.iter().take(100).map(|n| json!({"name": n})).collect();
        return json_reply(
            200,
            json!({"data": {"repository": {"environments": {
                "totalCount": envs.len(),
                "nodes": nodes,
            }}}}),
        );
    }
    let (list, field) = if query.contains("ObsctlDoraDeployments") {
        let envs = &s.github.gql_environments;
        let asked = vars["environments"].as_array().cloned().unwrap_or_default();
        let known = envs.is_empty() || asked.iter().any(|e| envs.iter().any(|n| e == n));
        (
            if known {
                s.github.gql_deployments.clone()
            } else {
                Vec::new()
            },
            "deployments",
        )
    } else if query.contains("ObsctlDoraIncidents") {
        // The seeded nodes, then the REST issues (what obsctl opened).
        let mut list = s.github.gql_issues.clone();
        list.extend(super::issues::graphql_nodes(s, vars, false));
        (list, "issues")
    } else if query.contains("ObsctlIssuesByLabel") {
        (super::issues::graphql_nodes(s, vars, true), "issues")
    } else {
        return json_reply(
            200,
            json!({"errors": [{"message": "unknown query in the fake"}]}),
        );
    };
    // Cursors are offsets; `first` nodes a page (at most 100, as GitHub).
    let first = vars["first"].as_u64().unwrap_or(100).min(100) as usize;
    let after: usize = vars["after"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = list.iter().skip(after).take(first).cloned().collect();
    let end = after + page.len();
    json_reply(
        200,
        json!({"data": {"repository": {field: {
            "pageInfo": {"hasNextPage": end < list.len(), "endCursor": end.to_string()},
            "nodes": page,
        }}}}),
    )
}
