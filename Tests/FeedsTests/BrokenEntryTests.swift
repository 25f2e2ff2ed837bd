import Foundation
import Testing
@testable import Feeds

/// An entry is never lost because an earlier one was malformed (issue 15, item 1).
@Suite struct BrokenEntries {
    enum Format: String, CaseIterable, Sendable {
        case rss, atom

        /// A feed of three entries whose first carries `body` (bytes) inside its text.
        func feed(firstEntryBody body: [UInt8]) -> [UInt8] {
            header + entry("First", body: body) + entry("Second drill") + entry("Third") + closing
        }
    }

    /// Where in the first entry the control byte sits.
    enum Construct: String, CaseIterable, Sendable {
        case text, cdata, attribute, pi, comment

        func body(_ byte: UInt8) -> [UInt8] {
            let (before, after): (String, String) = switch self {
            case .text: ("Sunny", " skies")
            case .cdata: ("<![CDATA[<p>Sunny", " skies</p>]]>")
            case .attribute: ("<span class=\"a", "b\">Sunny skies</span>")
            case .pi: ("Sunny<?render x", "y?> skies")
            case .comment: ("Sunny<!-- x", "y --> skies")
            }
            return Array(before.utf8) + [byte] + Array(after.utf8)
        }
    }

    /// NUL and every C0 control character that XML does not allow.
    static let controlBytes: [UInt8] = (0x00...0x1F).filter { $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    static let chunkSizes = [Int.max, 1, 7, 64]

    static func parse(_ bytes: [UInt8], chunkSize: Int) throws -> FeedDocument {
        var entries: [FeedEntry] = []
        var document = try FeedParser.parse(bytes, source: FeedSource(), chunkSize: chunkSize) { entries.append($0) }
        document.entries = entries
        return document
    }

    @Test(arguments: Format.allCases, Construct.allCases)
    func controlByteInFirstEntryKeepsEveryLaterEntry(_ format: Format, _ construct: Construct) throws {
        for byte in Self.controlBytes {
            for chunkSize in Self.chunkSizes {
                // Given a control byte inside the first entry
                let document = try Self.parse(format.feed(firstEntryBody: construct.body(byte)), chunkSize: chunkSize)
                // Then every entry comes back, and the repair is reported
                let context = Comment(rawValue: "byte \(byte), chunks of \(chunkSize)")
                #expect(document.entries.map(\.title) == ["First", "Second drill", "Third"], context)
                #expect(document.bozo, context)
                #expect(document.bozoReason?.contains("control character \(byte)") == true, context)
            }
        }
    }

    @Test func controlByteInCDATAIsASpace() throws {
        let document = try Self.parse(Format.rss.feed(firstEntryBody: Construct.cdata.body(0x08)), chunkSize: .max)
        #expect(document.entries.first?.summary == "<p>Sunny  skies</p>")
        #expect(document.bozoReason == "control character 8 in a CDATA section")
    }

    /// libxml2 2.9.14 halts at a `<` followed by a character that cannot start a name
    /// ("StartTag: invalid element name") and ignores the rest of the document.
    @Test(arguments: Format.allCases)
    func haltInsideAnEntryKeepsTheEntriesAfterIt(_ format: Format) throws {
        // Given a feed whose third entry makes libxml2 stop
        let broken = Array("prices <\u{2014} rising".utf8)
        let bytes = format.header + format.entry("First") + format.entry("Second drill")
            + format.entry("Third", body: broken) + format.entry("Fourth") + format.entry("Fifth") + format.closing
        for chunkSize in Self.chunkSizes {
            // When it is parsed
            let document = try Self.parse(bytes, chunkSize: chunkSize)
            // Then the broken entry alone is missing, and the reason names it
            let context = Comment(rawValue: "chunks of \(chunkSize): \(document.bozoReason ?? "nil")")
            #expect(document.entries.map(\.title) == ["First", "Second drill", "Fourth", "Fifth"], context)
            #expect(document.bozo, context)
            #expect(document.bozoReason?.hasPrefix("item 3 could not be read: ") == true, context)
            #expect(document.bozoReason?.contains("invalid element name") == true, context)
            #expect(document.feed.title == "Weather", context)
        }
    }

    @Test(arguments: Format.allCases)
    func entriesAfterTheRootElementAreRead(_ format: Format) throws {
        var bytes = format.feed(firstEntryBody: Array("fine".utf8))
        bytes += format.entry("Late") + format.closing
        for chunkSize in Self.chunkSizes {
            let document = try Self.parse(bytes, chunkSize: chunkSize)
            let context = Comment(rawValue: "chunks of \(chunkSize)")
            #expect(document.entries.map(\.title) == ["First", "Second drill", "Third", "Late"], context)
            #expect(document.bozoReason?.hasPrefix("the document could not be read after item 3: ") == true, context)
        }
    }

    /// libxml2 recovers from `<br>` by nesting every later element inside it.
    @Test(arguments: Format.allCases)
    func unclosedElementDoesNotSwallowLaterEntries(_ format: Format) throws {
        for body in ["Hello<br>world", "a <x y=\"\u{FFFE}\"/> b"] {
            for chunkSize in Self.chunkSizes {
                let document = try Self.parse(format.feed(firstEntryBody: Array(body.utf8)), chunkSize: chunkSize)
                let context = Comment(rawValue: "\(body), chunks of \(chunkSize)")
                #expect(document.entries.map(\.title) == ["First", "Second drill", "Third"], context)
                #expect(document.bozo, context)
            }
        }
        let document = try Self.parse(format.feed(firstEntryBody: Array("Hello<br>world".utf8)), chunkSize: .max)
        #expect(document.entries.first?.text.contains("world") == true)
    }

    @Test(arguments: Format.allCases)
    func repeatedHaltsAreEachSkipped(_ format: Format) throws {
        let broken = format.entry("Broken", body: Array("a <\u{00AB}b\u{00BB}".utf8))
        let bytes = format.header + format.entry("First") + broken + format.entry("Third") + broken + broken
            + format.entry("Sixth") + format.closing
        for chunkSize in Self.chunkSizes {
            let document = try Self.parse(bytes, chunkSize: chunkSize)
            let context = Comment(rawValue: "chunks of \(chunkSize): \(document.bozoReason ?? "nil")")
            #expect(document.entries.map(\.title) == ["First", "Third", "Sixth"], context)
            #expect(document.bozoReason?.hasPrefix("item 2 could not be read") == true, context)
        }
    }

    /// An entry that libxml2 nests in the previous one (an element left open) is read as an
    /// entry of its own, with the base URI and language in force where it stands, even when
    /// the elements around it belonged to the entry already handed over. Found by fuzzing: the
    /// base was looked up after the first entry's strings were dropped.
    @Test func aNestedEntryKeepsTheBaseItStandsIn() throws {
        let feed = """
            <rss version="2.0" xml:base="http://feed.example/"><channel>
            <item><title>One</title><link>one.html</link>
            <div xml:base="http://other.example/dir/" xml:lang="ru"><item><title>Two</title><link>two.html</link></item></div>
            </item>
            <item><title>Three</title><link>three.html</link></item>
            </channel></rss>
            """
        for chunkSize in Self.chunkSizes {
            let document = try Self.parse(Array(feed.utf8), chunkSize: chunkSize)
            #expect(document.entries.map(\.title) == ["One", "Two", "Three"], "chunks of \(chunkSize)")
            #expect(document.entries.map(\.link) == [
                "http://feed.example/one.html", "http://other.example/dir/two.html", "http://feed.example/three.html",
            ], "chunks of \(chunkSize)")
        }
    }
}

extension BrokenEntries.Format {
    var header: [UInt8] {
        switch self {
        case .rss: Array("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Weather</title>".utf8)
        case .atom: Array("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Weather</title>".utf8)
        }
    }

    func entry(_ title: String, body: [UInt8] = []) -> [UInt8] {
        switch self {
        case .rss: Array("<item><title>\(title)</title><description>".utf8) + body + Array("</description></item>".utf8)
        case .atom: Array("<entry><id>\(title)</id><title>\(title)</title><summary type=\"html\">".utf8) + body
            + Array("</summary></entry>".utf8)
        }
    }

    var closing: [UInt8] {
        switch self {
        case .rss: Array("</channel></rss>".utf8)
        case .atom: Array("</feed>".utf8)
        }
    }
}
