//! Meta's template library through EUM Social: our types to the SDK's and back.

use aws_sdk_socialmessaging::types::{
    LibraryTemplateBodyInputs, LibraryTemplateButtonInput, MetaLibraryTemplate,
    MetaLibraryTemplateDefinition,
};
use handlers::ports::SendError;
use handlers::ports::templates::LibraryTemplate;
use serde_json::{Value, json};

use super::templates::invalid;

pub(super) fn library_definition(t: &MetaLibraryTemplateDefinition) -> Value {
    let mut out = json!({
        "templateName": t.template_name, "templateLanguage": t.template_language,
        "templateCategory": t.template_category, "templateTopic": t.template_topic,
        "templateUseCase": t.template_use_case, "templateIndustry": t.template_industry,
        "templateHeader": t.template_header, "templateBody": t.template_body,
        "templateId": t.template_id, "templateBodyExampleParams": t.template_body_example_params,
        "templateButtons": t.template_buttons.as_ref().map(|buttons| buttons.iter().map(|b| json!({
            "type": b.r#type, "text": b.text, "phoneNumber": b.phone_number, "url": b.url,
            "otpType": b.otp_type, "zeroTapTermsAccepted": b.zero_tap_terms_accepted,
            "supportedApps": b.supported_apps,
        })).collect::<Vec<_>>()),
    });
    strip_nulls(&mut out);
    out
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(list) => list.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

pub(super) fn library_template(t: &LibraryTemplate) -> Result<MetaLibraryTemplate, SendError> {
    let buttons =
        t.library_template_button_inputs.as_ref().map(|list| {
            list.iter()
                .map(|b| {
                    LibraryTemplateButtonInput::builder()
                        .set_type(b.kind.clone())
                        .set_phone_number(b.phone_number.clone())
                        .set_url(b.url.clone().map(|u| u.into_iter().collect()))
                        .set_otp_type(b.otp_type.clone())
                        .set_zero_tap_terms_accepted(b.zero_tap_terms_accepted)
                        .set_supported_apps(b.supported_apps.clone().map(|apps| {
                            apps.into_iter().map(|a| a.into_iter().collect()).collect()
                        }))
                        .build()
                })
                .collect()
        });
    let body = t.library_template_body_inputs.as_ref().map(|b| {
        LibraryTemplateBodyInputs::builder()
            .set_add_contact_number(b.add_contact_number)
            .set_add_learn_more_link(b.add_learn_more_link)
            .set_add_security_recommendation(b.add_security_recommendation)
            .set_add_track_package_link(b.add_track_package_link)
            .set_code_expiration_minutes(b.code_expiration_minutes)
            .build()
    });
    MetaLibraryTemplate::builder()
        .template_name(&t.template_name)
        .library_template_name(&t.library_template_name)
        .template_category(&t.template_category)
        .template_language(&t.template_language)
        .set_library_template_button_inputs(buttons)
        .set_library_template_body_inputs(body)
        .build()
        .map_err(invalid)
}
