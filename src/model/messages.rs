//! Interned status messages (`0/12 nodes are available: …`), so thousands of pods that fail the
//! same way share one string and pods stay small.

use std::collections::HashMap;

#[derive(Default)]
pub struct Messages {
    list: Vec<String>,
    /// For scheduling-failure messages: the reasons they list, without node counts.
    reasons: Vec<Vec<String>>,
    // Lookup only; never iterated, so its order cannot leak into outputs.
    index: HashMap<String, u32>,
}

impl Messages {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.reasons.push(Vec::new());
        self.index.insert(s.to_string(), i);
        i
    }

    /// Sets a message's reasons, once: `Recorder::unschedulable_reasons` folds counts kept
    /// per message into reasons when a report asks, which holds only while a message's
    /// reasons never change after its first use.
    pub fn set_reasons(&mut self, id: u32, reasons: Vec<String>) {
        debug_assert!(
            self.reasons[id as usize].is_empty(),
            "reasons of message {id} set twice"
        );
        self.reasons[id as usize] = reasons;
    }

    pub fn reasons(&self, id: u32) -> &[String] {
        &self.reasons[id as usize]
    }

    pub fn get(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
}
