//! Reading chunks and whole streams back, each chunk proven by its hash
//! before a byte of it is returned.

use std::io::Read;
use std::sync::Arc;

use super::backend::{Backend, FileType};
use super::error::{RepoError, Result};
use super::id::Id;
use super::index::MasterIndex;
use super::pack;

/// Reads chunks through the index.
#[derive(Clone)]
pub struct ChunkReader {
    backend: Arc<dyn Backend>,
    index: Arc<MasterIndex>,
}

impl ChunkReader {
    pub fn new(backend: Arc<dyn Backend>, index: Arc<MasterIndex>) -> ChunkReader {
        ChunkReader { backend, index }
    }

    /// The plaintext of one chunk. `needed_by` names the stream for errors.
    pub fn read_chunk(&self, id: &Id, needed_by: &str) -> Result<Vec<u8>> {
        let loc = self
            .index
            .get(id)
            .ok_or_else(|| RepoError::ChunkNotIndexed {
                chunk: *id,
                needed_by: needed_by.into(),
            })?;
        let name = loc.pack.to_hex();
        let stored = self.backend.read_at(
            FileType::Pack,
            &name,
            loc.entry.offset,
            loc.entry.stored_len as usize,
        )?;
        pack::decode_blob(
            &loc.entry,
            stored,
            &self.backend.relative_path(FileType::Pack, &name),
            |d| self.backend.content_id(d),
        )
    }

    /// A `Read` over the concatenation of `chunks`.
    pub fn stream(&self, chunks: Vec<Id>, needed_by: impl Into<String>) -> StreamReader {
        StreamReader {
            reader: self.clone(),
            chunks,
            next: 0,
            current: Vec::new(),
            pos: 0,
            needed_by: needed_by.into(),
        }
    }
}

/// Streams chunks in order, one in memory at a time.
pub struct StreamReader {
    reader: ChunkReader,
    chunks: Vec<Id>,
    next: usize,
    current: Vec<u8>,
    pos: usize,
    needed_by: String,
}

impl StreamReader {
    /// The next piece of the stream, a whole verified chunk (or what
    /// `read` left of the current one), for readers that can take the
    /// stream in pieces: it saves copying every byte into a buffer.
    pub fn next_chunk(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.pos < self.current.len() {
            let mut rest = std::mem::take(&mut self.current);
            rest.drain(..self.pos);
            self.pos = 0;
            return Ok(Some(rest));
        }
        let Some(id) = self.chunks.get(self.next) else {
            return Ok(None);
        };
        let chunk = self.reader.read_chunk(id, &self.needed_by).map_err(std::io::Error::other)?;
        self.next += 1;
        Ok(Some(chunk))
    }
}

impl Read for StreamReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            let Some(id) = self.chunks.get(self.next) else {
                return Ok(0);
            };
            self.current = self
                .reader
                .read_chunk(id, &self.needed_by)
                .map_err(std::io::Error::other)?;
            self.pos = 0;
            self.next += 1;
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
