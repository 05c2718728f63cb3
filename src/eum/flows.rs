//! EUM Social's WhatsApp Flows operations for [`super::EumTemplates`].

use aws_sdk_socialmessaging::types::{MetaFlowCategory, MetaFlowPreviewInfo, MetaFlowSummary};
use handlers::ports::SendError;
use handlers::ports::templates::*;
use serde_json::{Value, json};

use super::map_error;
use super::templates::{EumTemplates, blob};

fn categories(list: &[String]) -> Vec<MetaFlowCategory> {
    list.iter()
        .map(|c| MetaFlowCategory::from(c.as_str()))
        .collect()
}

fn names(list: &[MetaFlowCategory]) -> Vec<String> {
    list.iter().map(|c| c.as_str().to_string()).collect()
}

fn preview(p: MetaFlowPreviewInfo) -> FlowPreview {
    FlowPreview {
        preview_url: p.preview_url,
        expires_at: p.expires_at,
    }
}

fn summary(f: MetaFlowSummary) -> FlowSummary {
    FlowSummary {
        categories: names(&f.flow_categories),
        flow_id: f.flow_id,
        name: f.flow_name,
        status: f.flow_status,
        validation_errors: f.validation_errors,
    }
}

pub(super) async fn create(
    eum: &EumTemplates,
    waba: &str,
    flow: &NewFlow,
) -> Result<FlowWritten, SendError> {
    let json = match &flow.flow_json {
        Some(j) => Some(blob(j, "flowJson")?),
        None => None,
    };
    let out = eum
        .client
        .create_whats_app_flow()
        .id(waba)
        .flow_name(&flow.name)
        .set_categories(Some(categories(&flow.categories)))
        .set_flow_json(json)
        .set_publish(flow.publish.then_some(true))
        .set_clone_flow_id(flow.clone_flow_id.clone())
        .set_endpoint_uri(flow.endpoint_uri.clone())
        .send()
        .await
        .map_err(map_error)?;
    Ok(FlowWritten {
        flow_id: out.flow_id.unwrap_or_default(),
        validation_errors: out.validation_errors.unwrap_or_default(),
    })
}

pub(super) async fn update(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
    changes: &FlowChanges,
) -> Result<(), SendError> {
    eum.client
        .update_whats_app_flow()
        .id(waba)
        .flow_id(flow_id)
        .set_flow_name(changes.name.clone())
        .set_categories(changes.categories.as_deref().map(categories))
        .set_endpoint_uri(changes.endpoint_uri.clone())
        .set_meta_app_id(changes.meta_app_id.clone())
        .send()
        .await
        .map_err(map_error)?;
    Ok(())
}

pub(super) async fn update_assets(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
    flow_json: &Value,
) -> Result<Vec<String>, SendError> {
    let out = eum
        .client
        .update_whats_app_flow_assets()
        .id(waba)
        .flow_id(flow_id)
        .flow_json(blob(flow_json, "flowJson")?)
        .send()
        .await
        .map_err(map_error)?;
    Ok(out.validation_errors.unwrap_or_default())
}

pub(super) async fn get(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
) -> Result<FlowDetail, SendError> {
    let out = eum
        .client
        .get_whats_app_flow()
        .id(waba)
        .flow_id(flow_id)
        .send()
        .await
        .map_err(map_error)?;
    Ok(FlowDetail {
        summary: FlowSummary {
            categories: names(out.categories.as_deref().unwrap_or_default()),
            flow_id: out.flow_id,
            name: out.flow_name,
            status: out.flow_status,
            validation_errors: out.validation_errors.unwrap_or_default(),
        },
        json_version: out.json_version,
        data_api_version: out.data_api_version,
        endpoint_uri: out.endpoint_uri,
        preview: out.preview.map(preview),
        whats_app_business_account: out.whats_app_business_account.map(|w| {
            json!({"id": w.id, "name": w.name, "currency": w.currency,
                   "timezoneId": w.timezone_id, "messageTemplateNamespace": w.message_template_namespace})
        }),
        application: out
            .application
            .map(|a| json!({"id": a.id, "name": a.name, "link": a.link})),
        health_status: out.health_status.map(|h| FlowHealth {
            can_send_message: h.can_send_message,
            entities: h
                .entities
                .unwrap_or_default()
                .into_iter()
                .map(|e| FlowHealthEntity {
                    entity_type: e.entity_type,
                    id: e.id,
                    can_send_message: e.can_send_message,
                })
                .collect(),
        }),
    })
}

pub(super) async fn list(
    eum: &EumTemplates,
    waba: &str,
    next_token: Option<&str>,
) -> Result<Listed<FlowSummary>, SendError> {
    let out = eum
        .client
        .list_whats_app_flows()
        .id(waba)
        .set_next_token(next_token.map(str::to_string))
        .send()
        .await
        .map_err(map_error)?;
    Ok(Listed {
        items: out.flows.into_iter().map(summary).collect(),
        next_token: out.next_token,
    })
}

pub(super) async fn assets(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
    next_token: Option<&str>,
) -> Result<Listed<FlowAsset>, SendError> {
    let out = eum
        .client
        .list_whats_app_flow_assets()
        .id(waba)
        .flow_id(flow_id)
        .set_next_token(next_token.map(str::to_string))
        .send()
        .await
        .map_err(map_error)?;
    Ok(Listed {
        items: out
            .flow_assets
            .into_iter()
            .map(|a| FlowAsset {
                name: a.name,
                asset_type: a.asset_type,
                download_url: a.download_url,
            })
            .collect(),
        next_token: out.next_token,
    })
}

pub(super) async fn preview_of(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
    invalidate: bool,
) -> Result<FlowPreview, SendError> {
    let out = eum
        .client
        .get_whats_app_flow_preview()
        .id(waba)
        .flow_id(flow_id)
        .set_invalidate(invalidate.then_some(true))
        .send()
        .await
        .map_err(map_error)?;
    Ok(out.preview.map(preview).unwrap_or_default())
}

pub(super) async fn publish(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
) -> Result<(), SendError> {
    eum.client
        .publish_whats_app_flow()
        .id(waba)
        .flow_id(flow_id)
        .send()
        .await
        .map_err(map_error)?;
    Ok(())
}

pub(super) async fn deprecate(
    eum: &EumTemplates,
    waba: &str,
    flow_id: &str,
) -> Result<(), SendError> {
    eum.client
        .deprecate_whats_app_flow()
        .id(waba)
        .flow_id(flow_id)
        .send()
        .await
        .map_err(map_error)?;
    Ok(())
}

pub(super) async fn delete(eum: &EumTemplates, waba: &str, flow_id: &str) -> Result<(), SendError> {
    eum.client
        .delete_whats_app_flow()
        .id(waba)
        .flow_id(flow_id)
        .send()
        .await
        .map_err(map_error)?;
    Ok(())
}
