//! `create_campaign`: an approved template sent to an audience (a list, or a CSV object in S3),
//! deduplicated, without the customers who opted out of marketing; scheduled or started later.

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::campaigns::audience::{self, CsvColumns, Member};
use crate::campaigns::model::{CampaignItem, RecipientItem, TemplateParams, rstate, state};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::{EumId, Language, LocalId, PhoneNumberId, TemplateName};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, check};

pub const NAME: &str = "create_campaign";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Manage,
    "Creates a campaign: an approved template, an audience (list or CSV in S3), an optional schedule."
);

/// Recipients written per `put_records` call.
const WRITE_CHUNK: usize = 500;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The template's name (it must be APPROVED).
    #[schemars(length(max = 512))]
    #[serde(alias = "templateName")]
    pub template: TemplateName,
    /// Its language code, default en_US.
    #[serde(default = "english", alias = "languageCode")]
    pub language: Language,
    /// A label for the campaign.
    #[serde(default)]
    pub name: Option<String>,
    /// Your own id for the campaign (letters, digits, `-`, `_`; up to 64): creating it again
    /// answers the campaign already created. Default: a generated id.
    #[schemars(length(max = 64))]
    #[serde(default)]
    pub campaign_id: Option<LocalId>,
    /// The audience: phone numbers or BSUIDs, or objects {"to" | "recipient", "body": [...],
    /// "header": ..., "buttons": [...]} with each one's template parameters.
    #[serde(default)]
    pub recipients: Option<Vec<Value>>,
    /// Or a CSV object: `s3://bucket/key`, or a key in the media bucket. Its header row names
    /// the recipient column (`phone`, `to`, `wa_id`, `recipient` or `bsuid`) and the parameter
    /// columns (`body.1`, `body.2`, …, `header.1`, `button.0`).
    #[schemars(length(max = 1024))]
    #[serde(default)]
    pub csv: Option<String>,
    /// The CSV's recipient column, when not one of the default names.
    #[serde(default)]
    pub recipient_column: Option<String>,
    /// CSV columns whose values are the body parameters, in order (instead of `body.N`).
    #[serde(default)]
    pub body_columns: Vec<String>,
    /// Body parameters of every recipient that has none of its own.
    #[serde(default)]
    pub body: Vec<Value>,
    /// Header parameters of every recipient that has none of its own.
    #[serde(default)]
    pub header: Option<Value>,
    /// Buttons of every recipient that has none of its own ([{"index", "subType", "parameters"}]).
    #[serde(default)]
    pub buttons: Vec<Value>,
    /// When to start (ISO-8601); without it the campaign waits for start_campaign.
    #[serde(default)]
    pub schedule_at: Option<String>,
    /// Sends per second (default CAMPAIGN_RATE, 80: Meta's base throughput; 0 turns pacing off).
    #[serde(default, deserialize_with = "crate::params::lenient::opt_i64")]
    pub rate: Option<i64>,
    /// Hours after its send within which a customer's message counts as a reply (default 24).
    #[serde(default, deserialize_with = "crate::params::lenient::opt_i64")]
    pub reply_window_hours: Option<i64>,
    /// The business phone (Meta's phone number id); default DEFAULT_PHONE_NUMBER_ID.
    #[serde(default)]
    pub phone_number_id: Option<PhoneNumberId>,
    /// The EUM origination phone; default from PHONE_NUMBERS / ORIGINATION_PHONE_NUMBER_ID.
    #[serde(default)]
    pub origination_phone_number_id: Option<EumId>,
    #[serde(flatten)]
    pub waba: WabaRef,
}

fn english() -> Language {
    Language::from_trusted("en_US")
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub campaign: CampaignItem,
    /// Recipients stored.
    pub recipients: u64,
    /// Entries dropped because the customer was already in the audience.
    pub duplicates: u64,
    /// Customers left out because they opted out of marketing messages.
    pub skipped_opted_out: u64,
    /// True when the campaign existed already (same campaignId): nothing was written.
    pub existing: bool,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("template", &p.template)?;
    check_len("template", &p.template, 512)?;
    let campaign_id = match &p.campaign_id {
        Some(id) => {
            if id.is_empty()
                || id.len() > 64
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(HandlerError::invalid(
                    "campaignId",
                    "use 1 to 64 letters, digits, `-` or `_`",
                ));
            }
            id.to_string()
        }
        None => uuid::Uuid::now_v7().simple().to_string(),
    };
    if let Some(existing) =
        crate::store::get_item_as::<CampaignItem>(ctx.store(), &keys::campaign(&campaign_id))
            .await?
        && existing.state != state::CREATING
    {
        return Ok(Output {
            recipients: existing.total,
            duplicates: existing.duplicates,
            skipped_opted_out: existing.skipped_opted_out,
            campaign: existing,
            existing: true,
        });
    }
    let rate = match p.rate {
        None => ctx.campaigns().settings.rate,
        Some(r) if (0..=1000).contains(&r) => r as u32,
        Some(_) => {
            return Err(HandlerError::invalid(
                "rate",
                "must be 0 (no pacing) to 1000 sends per second",
            ));
        }
    };
    let reply_window_hours = match p.reply_window_hours {
        None => ctx.campaigns().settings.reply_window_hours,
        Some(h) if (1..=24 * 30).contains(&h) => h as u32,
        Some(_) => {
            return Err(HandlerError::invalid(
                "replyWindowHours",
                "must be 1 to 720",
            ));
        }
    };
    let schedule_at = match &p.schedule_at {
        Some(at) => Some(crate::time::iso(crate::time::parse_iso(at).ok_or_else(
            || {
                HandlerError::invalid(
                    "scheduleAt",
                    "is not an ISO-8601 time (2026-12-01T09:00:00Z)",
                )
            },
        )?)),
        None => None,
    };
    // Refuse a template that is not approved, before anything is written.
    let template = check::cached_template(ctx, &p.waba, &p.template, &p.language).await?;
    if template.status != "APPROVED" {
        let reason = template
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        return Err(HandlerError::invalid(
            "template",
            format!(
                "template `{}` ({}) is {}{reason}: only APPROVED templates can be sent",
                p.template, p.language, template.status
            ),
        ));
    }
    let phone = crate::params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    let members = load_audience(ctx, &p).await?;
    let (members, duplicates) = audience::dedupe(members);
    if members.is_empty() {
        return Err(HandlerError::invalid("recipients", "the audience is empty"));
    }
    let (members, skipped_opted_out) = without_opted_out(ctx, members).await?;
    let now = crate::time::now_iso();
    let defaults: TemplateParams =
        serde_json::from_value(json!({"header": p.header, "body": p.body, "buttons": p.buttons}))
            .map_err(|e| HandlerError::invalid("buttons", e.to_string()))?;
    let mut campaign = CampaignItem {
        pk: keys::campaign(&campaign_id),
        item_type: "CAMPAIGN".into(),
        item_type_pk: keys::item_type::CAMPAIGNS.into(),
        campaign_id: campaign_id.clone(),
        name: p.name.clone(),
        template: p.template.to_string(),
        language: p.language.to_string(),
        waba_id: p.waba.waba_id.clone().map(String::from),
        phone_number_id: phone,
        origination_phone_number_id: p.origination_phone_number_id.clone().map(String::from),
        defaults,
        state: state::CREATING.into(),
        schedule_at: schedule_at.clone(),
        rate,
        reply_window_hours,
        total: members.len() as u64,
        duplicates,
        skipped_opted_out,
        created_at: now.clone(),
        updated_at: now.clone(),
        ..Default::default()
    };
    crate::store::put_item(ctx.store(), &campaign).await?;
    let pending = keys::item_type::campaign_recipients(&campaign_id, rstate::PENDING);
    for (chunk_index, chunk) in members.chunks(WRITE_CHUNK).enumerate() {
        let items: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let seq = (chunk_index * WRITE_CHUNK + i) as u64;
                serde_json::to_value(RecipientItem {
                    pk: keys::campaign_recipient(&campaign_id, seq),
                    item_type: "CAMPAIGN_RECIPIENT".into(),
                    item_type_pk: pending.clone(),
                    campaign_id: campaign_id.clone(),
                    seq,
                    customer_id: m.customer_id.clone(),
                    to: m.to.clone(),
                    recipient: m.recipient.clone(),
                    parameters: m.parameters.clone(),
                    state: rstate::PENDING.into(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    ..Default::default()
                })
            })
            .collect::<Result<_, _>>()?;
        ctx.store().put_records(&items).await?;
    }
    campaign.state = state::DRAFT.into();
    if schedule_at.is_some() {
        // start_chain moves it from `creating` to `scheduled` with its first work item, which
        // waits (re-enqueued with SQS delays of up to 15 minutes) until the time has come.
        crate::campaigns::start_chain(ctx, &campaign_as_creating(&campaign), state::SCHEDULED, 0)
            .await?;
    } else {
        crate::campaigns::move_campaign(
            ctx,
            &campaign_as_creating(&campaign),
            serde_json::Map::from_iter([("state".to_string(), json!(state::DRAFT))]),
            &[],
        )
        .await?;
    }
    let campaign = crate::campaigns::load(ctx, &campaign_id).await?;
    Ok(Output {
        recipients: campaign.total,
        duplicates,
        skipped_opted_out,
        campaign,
        existing: false,
    })
}

fn campaign_as_creating(c: &CampaignItem) -> CampaignItem {
    CampaignItem {
        state: state::CREATING.into(),
        token: None,
        ..c.clone()
    }
}

async fn load_audience(ctx: &Ctx, p: &Params) -> Result<Vec<Member>, HandlerError> {
    match (&p.recipients, &p.csv) {
        (Some(_), Some(_)) => Err(HandlerError::invalid(
            "csv",
            "give either `recipients` or `csv`, not both",
        )),
        (Some(list), None) => {
            if list.len() > audience::MAX_RECIPIENTS {
                return Err(HandlerError::invalid(
                    "recipients",
                    format!("holds more than {}", audience::MAX_RECIPIENTS),
                ));
            }
            audience::from_list(list)
        }
        (None, Some(csv)) => {
            let (bucket, key) = audience::location(csv)?;
            let bytes = match bucket {
                Some(bucket) => ctx.media().get_from(&bucket, &key).await?,
                None => ctx.media().get(&key).await?,
            }
            .ok_or_else(|| {
                HandlerError::NotFound(format!("the CSV object `{csv}` does not exist"))
            })?;
            let columns = CsvColumns {
                recipient: p.recipient_column.clone(),
                body: p.body_columns.clone(),
            };
            audience::from_csv(&bytes, &columns)
        }
        (None, None) => Err(HandlerError::MissingParam("recipients (or csv)".into())),
    }
}

/// The members who have not opted out of marketing messages, and how many have.
async fn without_opted_out(
    ctx: &Ctx,
    members: Vec<Member>,
) -> Result<(Vec<Member>, u64), HandlerError> {
    let store = ctx.store();
    let checks = futures_util::stream::iter(members.into_iter().map(|m| async move {
        let item = store.get_item(&keys::customer(&m.customer_id)).await?;
        let out = item.is_some_and(|i| i["marketingOptOut"] == json!(true));
        Ok::<_, HandlerError>((m, out))
    }))
    .buffered(32)
    .collect::<Vec<_>>()
    .await;
    let mut kept = Vec::with_capacity(checks.len());
    let mut skipped = 0;
    for check in checks {
        let (m, out) = check?;
        if out {
            skipped += 1;
        } else {
            kept.push(m);
        }
    }
    Ok((kept, skipped))
}
