//! The X server, for `tray_habits`: which process's window is on screen or has the keyboard
//! focus, and the focus set or cleared by the test.

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, InputFocus, MapState};
use x11rb::rust_connection::RustConnection;

/// The X server, asked about windows by their process (`_NET_WM_PID`, set by GTK).
pub struct X {
    conn: RustConnection,
    root: u32,
    pid_atom: u32,
}

impl X {
    pub fn connect(display: &str) -> Self {
        let (conn, screen) = x11rb::connect(Some(display)).unwrap();
        let root = conn.setup().roots[screen].root;
        let pid_atom = conn.intern_atom(false, b"_NET_WM_PID").unwrap().reply().unwrap().atom;
        Self { conn, root, pid_atom }
    }

    pub fn pid_of(&self, window: u32) -> Option<u32> {
        let reply =
            self.conn.get_property(false, window, self.pid_atom, AtomEnum::CARDINAL, 0, 1).ok()?.reply().ok()?;
        reply.value32()?.next()
    }

    pub fn viewable(&self, window: u32) -> bool {
        self.conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    }

    /// The process's top-level window on screen, if any.
    pub fn shown_window(&self, pid: u32) -> Option<u32> {
        let tree = self.conn.query_tree(self.root).unwrap().reply().unwrap();
        tree.children.into_iter().find(|w| self.pid_of(*w) == Some(pid) && self.viewable(*w))
    }

    /// The process whose window has the keyboard focus (none for `PointerRoot` or `None`).
    pub fn focus_pid(&self) -> Option<u32> {
        let mut window = self.conn.get_input_focus().unwrap().reply().unwrap().focus;
        while window > 1 && window != self.root {
            if let Some(pid) = self.pid_of(window) {
                return Some(pid);
            }
            window = self.conn.query_tree(window).ok()?.reply().ok()?.parent;
        }
        None
    }

    pub fn focus(&self, window: u32) {
        self.conn.set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME).unwrap();
        self.conn.flush().unwrap();
    }

    /// Focus to nobody: not `PointerRoot`, which would hand it to the window under the pointer.
    pub fn unfocus(&self) {
        self.conn.set_input_focus(InputFocus::NONE, x11rb::NONE, x11rb::CURRENT_TIME).unwrap();
        self.conn.flush().unwrap();
    }
}
