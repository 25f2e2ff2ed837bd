import Foundation
import TestSupport
import Testing
@testable import Feeds

/// A feed file is read from the file a chunk at a time when it can be; the result must be the
/// one the whole file in memory gives, whichever path the file takes.
@Suite struct FileParsing {
    private func parsedBothWays(_ bytes: [UInt8], chunkSize: Int = 256 * 1024) throws -> (FeedDocument?, FeedDocument?) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feed-\(UUID()).xml").path
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        var fromFile: [FeedEntry] = []
        var inMemory: [FeedEntry] = []
        var fileDocument = try? FeedParser.parse(contentsOfFile: file, source: FeedSource(), chunkSize: chunkSize) { fromFile.append($0) }
        var memoryDocument = try? FeedParser.parse(bytes, source: FeedSource(), chunkSize: chunkSize) { inMemory.append($0) }
        fileDocument?.entries = fromFile
        memoryDocument?.entries = inMemory
        return (fileDocument, memoryDocument)
    }

    private func expectSame(_ pair: (FeedDocument?, FeedDocument?), _ name: String) {
        let (file, memory) = pair
        #expect((file == nil) == (memory == nil), "\(name)")
        guard let file, let memory else { return }
        #expect(file.entries == memory.entries, "\(name)")
        #expect(file.feed == memory.feed, "\(name)")
        #expect(file.bozo == memory.bozo && file.bozoReason == memory.bozoReason, "\(name): \(file.bozoReason ?? "-") / \(memory.bozoReason ?? "-")")
        #expect(file.version == memory.version && file.encoding == memory.encoding, "\(name)")
    }

    @Test func sameDocumentForEveryConformanceFile() throws {
        guard let folder = SharedData.url("conformance") else {
            print("skipped: ../shared/conformance is not present beside this checkout")
            return
        }
        var files = 0
        for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        where ["xml", "rss", "atom", "rdf", "json"].contains(url.pathExtension) {
            files += 1
            expectSame(try parsedBothWays(Array(Data(contentsOf: url))), url.lastPathComponent)
        }
        #expect(files > 500)
    }

    /// Tiny chunks put a chunk boundary inside every character, tag, reference and entry.
    @Test func sameDocumentWithTinyChunks() throws {
        let feed = """
            \u{FEFF}<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Ленты 新闻</title>
            <item><title>Учения «Морское взаимодействие» 海上联合</title><description>&lt;p&gt;Ships &amp;amp; planes&nbsp;€</description></item>
            <item><title>Second</title><description><![CDATA[<p>café — naïve</p>]]></description></item>
            </channel></rss>
            """
        for chunkSize in [1, 2, 3, 5, 7, 64, .max] {
            expectSame(try parsedBothWays(Array(feed.utf8), chunkSize: chunkSize), "chunks of \(chunkSize)")
        }
    }

    private static func rss(_ inside: String) -> [UInt8] { Array("<rss><channel><item>\(inside)</item></channel></rss>".utf8) }

    static let awkward: [(String, [UInt8])] = {
        let cyrillic: [UInt8] = [0xD3, 0xF7, 0xE5]
        let declared = Array(#"<?xml version="1.0" encoding="windows-1251"?>"#.utf8)
        let utf16: [UInt8] = [0xFF, 0xFE] + rss("<title>x</title>").flatMap { [$0, 0] }
        let attributes = (0..<1_500).map { "a\($0)=\"\"" }.joined(separator: " ")
        return [
            ("not UTF-8", declared + Array("<rss><channel><item><title>".utf8) + cyrillic + Array("</title></item></channel></rss>".utf8)),
            ("invalid UTF-8", Array("<rss><channel><item><title>a".utf8) + [0xFF, 0xC3] + Array("</title></item></channel></rss>".utf8)),
            ("ends inside a character", rss("<title>a</title>") + [0xE2, 0x82]),
            ("UTF-16", utf16),
            ("JSON", Array(#"{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1", "title": "x"}]}"#.utf8)),
            ("too many attributes", rss("<title \(attributes)>x</title>")),
            ("empty", []),
            ("blank", Array("  \n ".utf8)),
            ("truncated", Array("<rss><channel><item><title>one</title></item><item><title>tw".utf8)),
            ("content after the root", rss("<title>one</title>") + Array("<item><title>x</title></item>".utf8)),
        ]
    }()

    @Test(arguments: awkward)
    func sameDocumentForAwkwardFiles(_ name: String, _ bytes: [UInt8]) throws {
        expectSame(try parsedBothWays(bytes), name)
        expectSame(try parsedBothWays(bytes, chunkSize: 3), name + ", chunks of 3")
        expectSame(try parsedBothWays(bytes, chunkSize: .max), name + ", one chunk")
    }

    /// Which files are read a chunk at a time: UTF-8 XML (a tag of too many attributes too: the
    /// repair cuts it as it reads); the rest whole.
    @Test(arguments: [
        ("utf-8", true), ("bom", true), ("utf-8 declared", true), ("windows-1251", false), ("invalid", false),
        ("json", false), ("attributes", true), ("empty", false),
    ])
    func whichFilesStream(_ name: String, _ streams: Bool) throws {
        let item = "<rss><channel><item><title>Учения</title></item></channel></rss>"
        let bytes: [UInt8] = switch name {
        case "utf-8": Array(item.utf8)
        case "bom": [0xEF, 0xBB, 0xBF] + Array(item.utf8)
        case "utf-8 declared": Array(("<?xml version='1.0' encoding='UTF-8'?>" + item).utf8)
        case "windows-1251": Array(("<?xml version='1.0' encoding='windows-1251'?>" + "<rss/>").utf8)
        case "invalid": Array(item.utf8) + [0xFF]
        case "json": Array("{}".utf8)
        case "attributes": Array(("<rss " + (0..<1_200).map { "a\($0)=''" }.joined(separator: " ") + "/>").utf8)
        default: []
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feed-\(UUID()).xml").path
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let descriptor = open(file, O_RDONLY)
        defer { close(descriptor) }
        #expect(FilePreflight(descriptor: descriptor, fileSize: bytes.count, chunkSize: 16).streamable == streams, "\(name)")
        // In one chunk the same, and a file that streams is kept whole for the parse.
        lseek(descriptor, 0, SEEK_SET)
        let whole = FilePreflight(descriptor: descriptor, fileSize: bytes.count, chunkSize: 1 << 20)
        #expect(whole.streamable == streams, "\(name), one chunk")
        #expect(whole.streamable ? whole.whole.map { Array($0.bytes[$0.range]) } == Array(bytes.drop { $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }) : true, "\(name)")
    }

    /// A file that grew after `fstat` gave its size is read to its end, not kept as the size said.
    @Test func aFileThatGrewIsReadToItsEnd() throws {
        let item = "<rss><channel><item><title>Учения</title></item></channel></rss>"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feed-\(UUID()).xml").path
        try Data(item.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let descriptor = open(file, O_RDONLY)
        defer { close(descriptor) }
        let preflight = FilePreflight(descriptor: descriptor, fileSize: item.utf8.count - 10, chunkSize: 1 << 20)
        #expect(preflight.whole == nil)
        #expect(preflight.size == item.utf8.count)
    }

    /// A pipe is read once, whole, from its start (a first pass would have used it up).
    @Test func aPipeIsReadWhole() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("dw-fifo-\(UUID())").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        let feed = Array("<rss><channel><item><title>Through a pipe</title></item></channel></rss>".utf8)
        let writer = Thread {
            let descriptor = open(fifo, O_WRONLY)
            guard descriptor >= 0 else { return }
            _ = feed.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        writer.start()
        var titles: [String?] = []
        _ = try FeedParser.parse(contentsOfFile: fifo) { titles.append($0.title) }
        #expect(titles == ["Through a pipe"])
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: FeedError.self) { try FeedParser.parse(contentsOfFile: "/nonexistent/feed.xml") { _ in } }
    }
}

@Suite struct UTF8InPieces {
    @Test func everySplitOfValidTextIsValid() {
        let bytes = Array("a€𝄞ж中é".utf8)
        for split in 0...bytes.count {
            var stream = UTF8Validation.Stream()
            let valid = stream.feed(bytes[..<split]) && stream.feed(bytes[split...])
            #expect(valid && stream.isComplete, "split at \(split)")
        }
    }

    @Test func invalidBytesAreFoundWhereverTheyFall() {
        for bad in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x28, 0xA1], [0xF4, 0x90, 0x80, 0x80]] as [[UInt8]] {
            let bytes = Array("ab".utf8) + bad + Array("cd".utf8)
            for split in 0...bytes.count {
                var stream = UTF8Validation.Stream()
                let valid = stream.feed(bytes[..<split]) && stream.feed(bytes[split...])
                #expect(!valid, "\(bad) split at \(split)")
            }
        }
    }

    @Test func aCharacterLeftUnfinishedIsNotComplete() {
        var stream = UTF8Validation.Stream()
        let valid = stream.feed(ArraySlice(Array("a€".utf8).dropLast()))
        #expect(valid && !stream.isComplete)
    }
}
