//! A stand-in `org.freedesktop.Notifications` for `tray_habits`, on the test's private
//! session bus. zbus's interface macro expands the unused arguments of the specification's
//! methods into code clippy's pedantic lints flag, hence the allowance.
#![allow(clippy::unused_self, clippy::used_underscore_binding)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the stand-in notification server was asked to show.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub pid: u32,
    pub body: String,
    pub actions: Vec<String>,
}

/// `org.freedesktop.Notifications`, recording every `Notify` with the caller's pid (other
/// consoles on the same session bus, from other tests, may notify too).
pub struct Notifications {
    pub shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        _summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut pid = 0;
        if let (Some(sender), Ok(dbus)) = (header.sender(), zbus::fdo::DBusProxy::new(conn).await) {
            pid = dbus.get_connection_unix_process_id(sender.clone().into()).await.unwrap_or(0);
        }
        let mut shown = self.shown.lock().unwrap();
        let id = u32::try_from(shown.len()).unwrap() + 1;
        shown.push(Shown { id, pid, body, actions });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("stand-in".into(), "postgate-tests".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}
