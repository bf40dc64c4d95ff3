//! GraphQL queries checked against GitHub's full public schema
//! (`github/graphql-schema.graphql` in the contracts): fields, arguments,
//! input fields and enum values. A copy of the checker in tests/dora.rs, for
//! the fakes (to be shared once tests/support/ has one GitHub fake).
#![allow(dead_code)]

use std::collections::HashMap;

use graphql_parser::query as q;
use graphql_parser::schema as s;

/// Field name → (argument name → type, field type).
type Fields = HashMap<String, (HashMap<String, String>, String)>;

pub struct Schema {
    /// type name → field name → (argument names → type, field type name)
    fields: HashMap<String, Fields>,
    inputs: HashMap<String, HashMap<String, String>>,
    enums: HashMap<String, Vec<String>>,
}

fn named(t: &s::Type<'_, String>) -> String {
    match t {
        s::Type::NamedType(n) => n.clone(),
        s::Type::ListType(t) | s::Type::NonNullType(t) => named(t),
    }
}

/// GitHub's schema from the contracts; `None` on a fresh clone without them.
pub fn load_schema() -> Option<Schema> {
    let text = crate::common::contract::load_text("github/graphql-schema.graphql")?;
    let doc = s::parse_schema::<String>(&text).expect("the schema parses");
    let mut schema = Schema {
        fields: HashMap::new(),
        inputs: HashMap::new(),
        enums: HashMap::new(),
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
            _ => {}
        }
    }
    Some(schema)
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

pub fn validate(schema: &Schema, query: &str) -> Vec<String> {
    let doc = q::parse_query::<String>(query).expect("the query parses");
    let mut errors = Vec::new();
    for def in &doc.definitions {
        let q::Definition::Operation(q::OperationDefinition::Query(op)) = def else {
            errors.push("only named queries".into());
            continue;
        };
        for v in &op.variable_definitions {
            let t = match &v.var_type {
                q::Type::NamedType(n) => n.clone(),
                q::Type::ListType(t) | q::Type::NonNullType(t) => match t.as_ref() {
                    q::Type::NamedType(n) => n.clone(),
                    q::Type::ListType(t) | q::Type::NonNullType(t) => {
                        format!("{t}").trim_matches(['[', ']', '!']).to_string()
                    }
                },
            };
            let scalar = ["String", "Int", "Boolean", "ID", "Float"].contains(&t.as_str());
            if !scalar
                && !schema.inputs.contains_key(&t)
                && !schema.enums.contains_key(&t)
                && t != "DateTime"
            {
                errors.push(format!("${}: unknown type {t}", v.name));
            }
        }
        check_selection(schema, "Query", &op.selection_set, "Query", &mut errors);
    }
    errors
}
