//! Pinned pages: latest page versions a commit's prepare phase fetched and needs until its
//! serial step is over, whatever the clean cache evicts meanwhile.
//!
//! A pin holds the **latest** version of its page, always: [`Pins::pin`] is called under
//! the cache's state lock with the version the dirty table or the clean cache holds then
//! (every change of a page's latest slot happens under that lock), and
//! [`Pins::refresh`] replaces the pinned version whenever a commit publishes a newer one.
//! So a reader may take a pinned page instead of the clean cache's without ever seeing an
//! older version. Pins are counted: several commits may pin one page; it is released when
//! the last [`super::PinSet`] holding it drops.

use std::collections::HashMap;
use std::sync::Arc;

use proto::PageKey;
use proto::page::Page;

/// Pinned latest versions, with how many pin sets hold each.
#[derive(Default)]
pub struct Pins {
    pages: HashMap<PageKey, (Arc<Page>, u32)>,
}

impl Pins {
    /// The pinned version of `key`.
    pub fn get(&self, key: PageKey) -> Option<Arc<Page>> {
        self.pages.get(&key).map(|(p, _)| p.clone())
    }

    /// Adds a pin on `key`, whose latest version is `page`.
    pub fn pin(&mut self, key: PageKey, page: Arc<Page>) {
        let entry = self.pages.entry(key).or_insert((page.clone(), 0));
        entry.0 = page;
        entry.1 += 1;
    }

    /// Drops one pin of `key`.
    pub fn unpin(&mut self, key: PageKey) {
        if let Some(entry) = self.pages.get_mut(&key) {
            entry.1 -= 1;
            if entry.1 == 0 {
                self.pages.remove(&key);
            }
        }
    }

    /// A newer latest version of `key` was published: a pin follows it.
    pub fn refresh(&mut self, key: PageKey, page: &Arc<Page>) {
        if let Some(entry) = self.pages.get_mut(&key) {
            entry.0 = page.clone();
        }
    }

    /// Number of pinned pages.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(b: u8) -> Arc<Page> {
        Arc::new([b; proto::PAGE_SIZE])
    }

    #[test]
    fn a_page_stays_pinned_until_its_last_pin_drops_and_follows_publishes() {
        let key = PageKey::new(5, 1);
        let mut pins = Pins::default();
        pins.pin(key, page(1));
        pins.pin(key, page(1));
        pins.refresh(key, &page(2));
        assert_eq!(pins.get(key).map(|p| p[100]), Some(2));
        pins.unpin(key);
        assert_eq!(pins.len(), 1);
        pins.unpin(key);
        assert!(pins.is_empty());
        pins.refresh(key, &page(3));
        assert!(pins.get(key).is_none(), "refresh never pins");
    }
}
