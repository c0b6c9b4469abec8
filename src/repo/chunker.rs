//! Content-defined cut points over a sliding window of a stream
//! (format-spec/chunking.md).
//!
//! This module owns where chunks end. It cuts exactly where fastcdc's
//! `v2020::StreamCDC` cuts (the pinned crate's `cut_gear` does the scan),
//! but over a window the caller owns: the writer appends incoming blocks
//! to one buffer and splits chunks off its front without copying them,
//! where `StreamCDC` copies every chunk out and shifts its buffer after
//! each one. Hashing, deduplication and storage are the writer's.

use std::borrow::Cow;

use fastcdc::v2020;

use super::config::ChunkerParams;

/// The chunker's parameters and gear tables, ready to cut.
#[derive(Clone, Debug)]
pub struct Cutter {
    min: usize,
    avg: usize,
    max: usize,
    mask_s: u64,
    mask_l: u64,
    gear: Cow<'static, [u64]>,
    gear_ls: Cow<'static, [u64]>,
}

impl Cutter {
    /// `seed` is XORed into the gear tables (0 for unkeyed repositories).
    pub fn new(params: &ChunkerParams, seed: u64) -> Cutter {
        let level = match params.normalization {
            0 => v2020::Normalization::Level0,
            1 => v2020::Normalization::Level1,
            2 => v2020::Normalization::Level2,
            _ => v2020::Normalization::Level3,
        };
        let avg = params.avg_size as usize;
        let (mask_s, mask_l) = v2020::select_masks(avg, level);
        let (gear, gear_ls) = v2020::get_gear_with_seed(seed);
        Cutter {
            min: params.min_size as usize,
            avg,
            max: params.max_size as usize,
            mask_s,
            mask_l,
            gear,
            gear_ls,
        }
    }

    /// The largest chunk; a window this long always decides the next cut.
    pub fn max_size(&self) -> usize {
        self.max
    }

    /// Length of the chunk that starts at `window[0]`, once the window holds
    /// `max_size` bytes or the stream has ended (`eof`: the window is all
    /// that is left); then the cut is the one `StreamCDC` makes there.
    /// None: more bytes are needed (or, at `eof`, the window is empty).
    ///
    /// Waiting for `max_size` bytes means each byte is scanned once: a scan
    /// over a shorter window that found no cut point would have to be
    /// repeated when more bytes arrive (data without cut points, such as
    /// long runs of one byte, is cut at `max_size`).
    pub fn next_cut(&self, window: &[u8], eof: bool) -> Option<usize> {
        if window.is_empty() || (window.len() < self.max && !eof) {
            return None;
        }
        let (_, n) = v2020::cut_gear(
            window,
            self.min,
            self.avg,
            self.max,
            self.mask_s,
            self.mask_l,
            self.mask_s << 1,
            self.mask_l << 1,
            &self.gear,
            &self.gear_ls,
        );
        (n > 0).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_cdc(data: &[u8], p: &ChunkerParams, seed: u64) -> Vec<usize> {
        v2020::StreamCDC::with_level_and_seed(
            data,
            p.min_size as usize,
            p.avg_size as usize,
            p.max_size as usize,
            v2020::Normalization::Level1,
            seed,
        )
        .map(|c| c.unwrap().length)
        .collect()
    }

    /// Feed `data` in blocks of the given sizes (cycled), cutting as the
    /// writer does.
    fn windowed(data: &[u8], p: &ChunkerParams, seed: u64, blocks: &[usize]) -> Vec<usize> {
        let c = Cutter::new(p, seed);
        let (mut window, mut at, mut out, mut i) = (Vec::new(), 0usize, Vec::new(), 0usize);
        loop {
            let eof = at == data.len();
            while let Some(n) = c.next_cut(&window, eof) {
                out.push(n);
                window.drain(..n);
            }
            if eof {
                assert!(window.is_empty());
                return out;
            }
            let take = blocks[i % blocks.len()].min(data.len() - at);
            window.extend_from_slice(&data[at..at + take]);
            at += take;
            i += 1;
        }
    }

    fn splitmix(seed: u64, len: usize) -> Vec<u8> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }

    #[test]
    fn cuts_where_stream_cdc_cuts_whatever_the_block_sizes() {
        let p = ChunkerParams { min_size: 4096, avg_size: 16384, max_size: 65536, ..ChunkerParams::default() };
        let mut data = splitmix(7, 1_500_000);
        // Runs the gear hash never cuts in (max-size chunks), and short tails.
        data.extend(std::iter::repeat_n(0u8, 300_000));
        data.extend(splitmix(8, 12_345));
        for seed in [0, 0x1234_5678_9abc_def0] {
            let expected = stream_cdc(&data, &p, seed);
            assert!(expected.len() > 50);
            for blocks in [&[1usize << 20][..], &[4096], &[65536], &[1, 7, 100_000, 3], &[70_000, 5]] {
                assert_eq!(windowed(&data, &p, seed, blocks), expected, "seed {seed:#x}, blocks {blocks:?}");
            }
            for len in [0, 1, 4095, 4096, 4097, 65535, 65536, 65537] {
                assert_eq!(windowed(&data[..len], &p, seed, &[1000]), stream_cdc(&data[..len], &p, seed), "{len} bytes");
            }
        }
    }
}
