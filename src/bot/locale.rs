//! The language a user is answered in: their /language choice, else Telegram's
//! `language_code` when we ship it, else the default (Russian).

use crate::cache::Ttl;
use crate::domain::UserId;
use crate::i18n::AVAILABLE;
use crate::moderation::intake::locale_cache_key as cache_key;
use crate::services::Services;

/// The locale for a user; the override is cached with a TTL (an empty value means "none").
pub async fn locale_for(services: &Services, user: UserId, language_code: Option<&str>) -> &'static str {
    let negotiated = || services.i18n.negotiate(language_code);
    let key = cache_key(user);
    let chosen = match services.cache.get(&key).await {
        Ok(Some(value)) => Some(value),
        Ok(None) | Err(_) => match services.store.locale_override(user).await {
            Ok(chosen) => {
                let value = chosen.unwrap_or_default();
                let ttl = Ttl::from_config(services.config.cache.locale_ttl);
                let _ = services.cache.set(&key, &value, ttl).await;
                Some(value)
            }
            Err(_) => None, // logged by the store; answer in the negotiated language
        },
    };
    chosen.and_then(|c| AVAILABLE.into_iter().find(|l| *l == c)).unwrap_or_else(negotiated)
}
