import Foundation
import Pipeline
import Testing

/// Corpus files that are not what a corpus document should be: too large, empty, binary.
@Suite struct CorpusFiles {
    /// Loads a fresh corpus folder holding `files` (and what `prepare` puts there); returns the
    /// documents' ids and the warnings.
    func load(_ files: [String: [UInt8]], prepare: (URL) throws -> Void = { _ in }) throws -> (ids: [String], bodies: [String], warnings: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-corpus-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, bytes) in files { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        try prepare(folder)
        var warnings: [String] = []
        let documents = try CorpusStore(folder: folder).load { warnings.append("\($0)".replacingOccurrences(of: folder.path + "/", with: "")) }
        return (documents.map(\.id), documents.map(\.body), warnings)
    }

    @Test func aLargeFileIsCutOnACharacterBoundaryWithAWarning() throws {
        // 3 MiB of "учения " (two-byte letters): the cap falls inside a character.
        let article = Array(String(repeating: "учения ", count: 3 << 20 / 13).utf8)
        let (ids, bodies, warnings) = try load(["big.md": Array("Joint drill\n\n".utf8) + article])
        #expect(ids == ["big"])
        #expect(bodies[0].utf8.count < CorpusStore.maxDocumentBytes)
        #expect(bodies[0].hasSuffix("учения") || bodies[0].hasSuffix("учени") || bodies[0].hasSuffix("учен"))
        #expect(warnings == ["big.md: warning: only its first 1 MiB is read (the file has 3.0 MiB); a corpus document should be one article"])
    }

    @Test func emptyAndBinaryFilesAreSkippedWithAWarning() throws {
        let (ids, _, warnings) = try load([
            "article.md": Array("China and Russia began a joint naval drill in the Sea of Japan.\n".utf8),
            "empty.md": [],
            "blank.txt": Array(" \n\n \n".utf8),
            "image.md": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00],
            "latin1.txt": Array("Man\u{0153}uvres".utf8.prefix(3)) + [0xE9, 0x20, 0x61],
        ])
        #expect(ids == ["article"])
        #expect(warnings == [
            "blank.txt: warning: skipped: it holds no text",
            "empty.md: warning: skipped: it holds no text",
            "image.md: warning: skipped: it is not text (NUL bytes or not UTF-8); save it as UTF-8 text or remove it",
            "latin1.txt: warning: skipped: it is not text (NUL bytes or not UTF-8); save it as UTF-8 text or remove it",
        ])
    }

    /// A named pipe or a folder with a document's name: opening the pipe blocked every command's
    /// start until something wrote to it. Each is skipped with what it is.
    @Test func aPipeOrAFolderIsSkippedWithAWarning() throws {
        let (ids, _, warnings) = try load(["article.md": Array("China and Russia began a joint naval drill.\n".utf8)]) { folder in
            #expect(mkfifo(folder.appendingPathComponent("pipe.md").path, 0o600) == 0)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("notes.txt"), withIntermediateDirectories: false)
        }
        #expect(ids == ["article"])
        #expect(warnings == ["notes.txt: warning: skipped: a folder, not a file", "pipe.md: warning: skipped: a named pipe, not a file"])
    }
}
