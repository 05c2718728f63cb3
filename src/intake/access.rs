//! Who may run which action behind API Gateway: the caller's API scopes, read from what the
//! authorizer put in the proxy event's `requestContext`.
//!
//! Every action declares the [`Scope`] it needs (`handlers::registry`). A caller holds a set of
//! scopes ([`Scopes`]); `admin` is granted every scope, the others are independent (a token with
//! `send` cannot `read` unless it also has `read`). Where the scopes come from:
//!
//! | Authorizer | Event | Read from |
//! |---|---|---|
//! | JWT (HTTP API) | v2 | `authorizer.jwt.scopes`, else the `scope` / `scp` claim (space-separated) |
//! | Cognito user pool (REST) | v1 | `authorizer.claims.scope` / `scp` |
//! | Lambda authorizer | v2 | `authorizer.lambda.scopes` (the authorizer's `context.scopes`) |
//! | Lambda authorizer | v1 | `authorizer.scopes` (the authorizer's `context.scopes`) |
//! | IAM (SigV4) | v2 / v1 | `authorizer.iam.userArn` / `identity.userArn`, mapped by `IAM_SCOPES` |
//!
//! A scope word is `read`, `send`, `manage` or `admin`, optionally behind a resource-server
//! prefix that ends in `/` (`whatsapp/send`, `https://api.example.com/send`: the part after the
//! last `/` counts). With [`ApiAccess::scope_prefix`] set (`API_SCOPE_PREFIX`), only words that
//! start with exactly that prefix count. Words are compared exactly: Cognito's own
//! `aws.cognito.signin.user.admin` is not `admin`.

use std::fmt;

use aws_lambda_events::event::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
};
use handlers::registry::Scope;
use serde_json::Value;

/// A set of API scopes. `admin` allows every action.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

const fn bit(scope: Scope) -> u8 {
    match scope {
        Scope::Read => 1,
        Scope::Send => 2,
        Scope::Manage => 4,
        Scope::Admin => 8,
    }
}

impl Scopes {
    /// No scope at all.
    pub const NONE: Scopes = Scopes(0);
    /// Every scope (direct invocation, the local server's default).
    pub const ALL: Scopes = Scopes(15);

    #[must_use]
    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | bit(scope))
    }

    /// The set holds `scope` itself.
    pub fn has(self, scope: Scope) -> bool {
        self.0 & bit(scope) != 0
    }

    /// A caller with these scopes may run an action that needs `needed`: it holds that scope,
    /// or `admin`.
    pub fn allows(self, needed: Scope) -> bool {
        self.has(needed) || self.has(Scope::Admin)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scope names, narrowest first.
    pub fn names(self) -> Vec<&'static str> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.has(*s))
            .map(Scope::as_str)
            .collect()
    }

    /// A configured list: scope names separated by commas and/or spaces (`read,send`). An
    /// unknown name is an error naming it.
    ///
    /// # Errors
    /// The first word that is not a scope name.
    pub fn parse_list(text: &str) -> Result<Scopes, String> {
        let mut scopes = Scopes::NONE;
        for word in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            let scope = Scope::from_name(word)
                .ok_or_else(|| format!("`{word}` is not a scope (read, send, manage, admin)"))?;
            scopes = scopes.with(scope);
        }
        Ok(scopes)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&self.names().join(" "))
        }
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

/// One `IAM_SCOPES` entry: a principal ARN and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamGrant {
    pub arn: String,
    pub scopes: Scopes,
}

/// How API Gateway callers get their scopes (besides what their token says).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiAccess {
    /// IAM principals and their scopes (`IAM_SCOPES`).
    pub iam: Vec<IamGrant>,
    /// Only scope words with exactly this prefix count (`API_SCOPE_PREFIX`, e.g. `whatsapp/`).
    pub scope_prefix: Option<String>,
}

/// Who called, as far as the authorizer told us, and the scopes that gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scopes: Scopes,
    /// What the scopes were read from, for log lines and 403 messages (`jwt`, `iam <arn>`,
    /// `lambda authorizer`, `no authorizer`). Never a token.
    pub via: String,
}

impl ApiAccess {
    /// Parses `IAM_SCOPES`: `ARN=scopes` entries separated by `;`, scopes separated by commas
    /// (`arn:aws:iam::123456789012:role/ops=admin;arn:aws:iam::123456789012:role/agent=read,send`).
    ///
    /// # Errors
    /// A message naming the entry that is not `arn:...=scopes`.
    pub fn parse_iam_scopes(text: &str) -> Result<Vec<IamGrant>, String> {
        let mut grants = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((arn, scopes)) = entry.split_once('=') else {
                return Err(format!("`{entry}` is not ARN=scopes"));
            };
            let arn = arn.trim();
            if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
                return Err(format!(
                    "`{arn}` is not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                ));
            }
            let scopes = Scopes::parse_list(scopes)?;
            if scopes.is_empty() {
                return Err(format!("`{arn}` is given no scopes"));
            }
            grants.push(IamGrant {
                arn: arn.to_string(),
                scopes,
            });
        }
        Ok(grants)
    }

    /// The scopes of one scope word from a token or an authorizer context, if it names one.
    fn scope_of(&self, word: &str) -> Option<Scope> {
        let name = match &self.scope_prefix {
            Some(prefix) => word.strip_prefix(prefix.as_str())?,
            None => word.rsplit('/').next().unwrap_or(word),
        };
        Scope::from_name(name)
    }

    /// Scopes from a space-separated list (`"read whatsapp/send"`); also `[a b]` (how HTTP API
    /// renders an array claim such as Okta's `scp`) and commas.
    fn scopes_in_text(&self, text: &str) -> Scopes {
        text.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(|w| self.scope_of(w.trim_matches('"')))
            .fold(Scopes::NONE, Scopes::with)
    }

    /// Scopes from a JSON value: a string as [`Self::scopes_in_text`], or an array of them.
    fn scopes_in_value(&self, value: Option<&Value>) -> Scopes {
        match value {
            Some(Value::String(text)) => self.scopes_in_text(text),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|t| self.scopes_in_text(t))
                .fold(Scopes::NONE, |a, b| Scopes(a.0 | b.0)),
            _ => Scopes::NONE,
        }
    }

    /// The scopes `IAM_SCOPES` grants the caller `arn`.
    fn iam_scopes(&self, arn: &str) -> Scopes {
        self.iam
            .iter()
            .filter(|grant| same_principal(&grant.arn, arn))
            .fold(Scopes::NONE, |a, g| Scopes(a.0 | g.scopes.0))
    }

    /// The caller of an HTTP API (v2) request.
    pub fn caller_v2(&self, context: &ApiGatewayV2httpRequestContext) -> Caller {
        let Some(authorizer) = &context.authorizer else {
            return Caller {
                scopes: Scopes::NONE,
                via: "no authorizer".into(),
            };
        };
        let mut scopes = Scopes::NONE;
        let mut via = Vec::new();
        if let Some(jwt) = &authorizer.jwt {
            for scope in jwt.scopes.iter().flatten() {
                scopes = Scopes(scopes.0 | self.scopes_in_text(scope).0);
            }
            for claim in ["scope", "scp"] {
                if let Some(text) = jwt.claims.get(claim) {
                    scopes = Scopes(scopes.0 | self.scopes_in_text(text).0);
                }
            }
            via.push("jwt".to_string());
        }
        if !authorizer.fields.is_empty() {
            scopes = Scopes(scopes.0 | self.scopes_in_value(authorizer.fields.get("scopes")).0);
            via.push("lambda authorizer".to_string());
        }
        if let Some(arn) = authorizer.iam.as_ref().and_then(|i| i.user_arn.as_deref()) {
            scopes = Scopes(scopes.0 | self.iam_scopes(arn).0);
            via.push(format!("iam {arn}"));
        }
        caller(scopes, via)
    }

    /// The caller of a REST API (v1) request.
    pub fn caller_v1(&self, context: &ApiGatewayProxyRequestContext) -> Caller {
        let ApiGatewayRequestAuthorizer { fields, .. } = &context.authorizer;
        let mut scopes = Scopes::NONE;
        let mut via = Vec::new();
        if let Some(claims) = fields.get("claims") {
            for claim in ["scope", "scp"] {
                scopes = Scopes(scopes.0 | self.scopes_in_value(claims.get(claim)).0);
            }
            via.push("cognito".to_string());
        }
        if fields.contains_key("scopes") {
            scopes = Scopes(scopes.0 | self.scopes_in_value(fields.get("scopes")).0);
            via.push("lambda authorizer".to_string());
        }
        if let Some(arn) = context.identity.user_arn.as_deref() {
            scopes = Scopes(scopes.0 | self.iam_scopes(arn).0);
            via.push(format!("iam {arn}"));
        }
        caller(scopes, via)
    }
}

fn caller(scopes: Scopes, via: Vec<String>) -> Caller {
    Caller {
        scopes,
        via: if via.is_empty() {
            "no authorizer".into()
        } else {
            via.join(", ")
        },
    }
}

/// `configured` names the caller `arn`: the same ARN, or `configured` is a role
/// (`arn:aws:iam::ACCOUNT:role/[path/]NAME`) and `arn` a session of it
/// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`, which is what API Gateway reports for a
/// caller using the role's temporary credentials).
fn same_principal(configured: &str, arn: &str) -> bool {
    if configured == arn {
        return true;
    }
    let parts = |a: &str| -> Option<(String, String, String, String)> {
        let mut it = a.splitn(6, ':');
        let (_arn, partition, service, _region, account, resource) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        Some((
            partition.into(),
            service.into(),
            account.into(),
            resource.into(),
        ))
    };
    let (Some((p1, s1, a1, r1)), Some((p2, s2, a2, r2))) = (parts(configured), parts(arn)) else {
        return false;
    };
    let Some(role_path) = r1.strip_prefix("role/").filter(|_| s1 == "iam") else {
        return false;
    };
    let role_name = role_path.rsplit('/').next().unwrap_or(role_path);
    let Some(session) = r2.strip_prefix("assumed-role/").filter(|_| s2 == "sts") else {
        return false;
    };
    let session_role = session.split('/').next().unwrap_or_default();
    p1 == p2 && a1 == a2 && !role_name.is_empty() && role_name == session_role
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v2(authorizer: Value) -> Caller {
        let context: ApiGatewayV2httpRequestContext = serde_json::from_value(json!({
            "http": {"method": "POST", "path": "/"},
            "authorizer": authorizer,
        }))
        .unwrap();
        access().caller_v2(&context)
    }

    fn access() -> ApiAccess {
        ApiAccess {
            iam: ApiAccess::parse_iam_scopes(
                "arn:aws:iam::123456789012:role/ops/oncall=admin; arn:aws:iam::123456789012:user/agent=read,send",
            )
            .unwrap(),
            scope_prefix: None,
        }
    }

    #[test]
    fn admin_allows_everything_and_the_rest_only_themselves() {
        let send = Scopes::NONE.with(Scope::Send);
        assert!(send.allows(Scope::Send));
        assert!(!send.allows(Scope::Read));
        for scope in Scope::ALL {
            assert!(Scopes::NONE.with(Scope::Admin).allows(scope));
        }
        assert_eq!(Scopes::ALL.to_string(), "read send manage admin");
    }

    #[test]
    fn jwt_scopes_come_from_the_list_or_the_claims() {
        let caller = v2(json!({"jwt": {"claims": {"sub": "u1"}, "scopes": ["whatsapp/read"]}}));
        assert_eq!(caller.scopes.names(), ["read"]);
        let caller = v2(
            json!({"jwt": {"claims": {"scope": "openid https://api.example.com/send aws.cognito.signin.user.admin"}, "scopes": null}}),
        );
        assert_eq!(caller.scopes.names(), ["send"], "{caller:?}");
        let caller = v2(json!({"jwt": {"claims": {"scp": "[read manage]"}}}));
        assert_eq!(caller.scopes.names(), ["read", "manage"]);
        assert!(
            v2(json!({"jwt": {"claims": {"sub": "u1"}}}))
                .scopes
                .is_empty()
        );
    }

    #[test]
    fn a_prefix_keeps_only_its_own_scopes() {
        let access = ApiAccess {
            iam: Vec::new(),
            scope_prefix: Some("whatsapp/".into()),
        };
        assert_eq!(
            access
                .scopes_in_text("send other/admin admin whatsapp/read")
                .names(),
            ["read"]
        );
    }

    #[test]
    fn iam_callers_are_mapped_by_arn_or_role_session() {
        let session = v2(json!({"iam": {
            "userArn": "arn:aws:sts::123456789012:assumed-role/oncall/alice",
            "accountId": "123456789012"
        }}));
        assert_eq!(session.scopes, Scopes::NONE.with(Scope::Admin));
        let user = v2(json!({"iam": {"userArn": "arn:aws:iam::123456789012:user/agent"}}));
        assert_eq!(user.scopes.names(), ["read", "send"]);
        for stranger in [
            "arn:aws:sts::999999999999:assumed-role/oncall/alice",
            "arn:aws:sts::123456789012:assumed-role/oncall-2/alice",
            "arn:aws:iam::123456789012:user/agent2",
        ] {
            assert!(
                v2(json!({"iam": {"userArn": stranger}})).scopes.is_empty(),
                "{stranger}"
            );
        }
    }

    #[test]
    fn lambda_authorizer_context_scopes() {
        assert_eq!(
            v2(json!({"lambda": {"scopes": "read send"}}))
                .scopes
                .names(),
            ["read", "send"]
        );
        let context: ApiGatewayProxyRequestContext = serde_json::from_value(json!({
            "httpMethod": "POST",
            "authorizer": {"principalId": "x", "scopes": "manage"},
        }))
        .unwrap();
        assert_eq!(access().caller_v1(&context).scopes.names(), ["manage"]);
        let context: ApiGatewayProxyRequestContext = serde_json::from_value(json!({
            "httpMethod": "POST",
            "authorizer": {"claims": {"scope": "whatsapp/read"}},
        }))
        .unwrap();
        assert_eq!(access().caller_v1(&context).scopes.names(), ["read"]);
    }

    #[test]
    fn bad_iam_scopes_are_named() {
        for (text, needle) in [
            ("arn:aws:iam::1:role/x", "ARN=scopes"),
            ("role/x=read", "not an IAM ARN"),
            ("arn:aws:iam::1:role/x=write", "`write` is not a scope"),
            ("arn:aws:iam::1:role/x=", "no scopes"),
        ] {
            let err = ApiAccess::parse_iam_scopes(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
