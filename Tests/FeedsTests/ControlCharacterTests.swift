import Foundation
import Testing
@testable import Feeds

/// No entry or feed field carries a control character, whatever the format (issue 15, item 6).
@Suite struct ControlCharactersInFields {
    /// ESC-introduced CSI and OSC sequences, and the one-character C1 CSI and OSC.
    static let hostile = "a\u{1B}[31mb\u{9B}2Jc\u{1B}]0;pwned\u{07}d\u{9D}x\u{1B}\\e"

    static func controls(in text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value).filter { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A) || (0x80...0x9F).contains($0) }
    }

    static func fields(_ document: FeedDocument) -> [String] {
        let feed = document.feed
        return [feed.title, feed.link, feed.subtitle, feed.language].compactMap { $0 }
            + document.entries.flatMap { entry in
                [entry.title, entry.link, entry.id, entry.summary, entry.content, entry.author].compactMap { $0 }
                    + entry.enclosures + entry.categories + [entry.text, entry.key]
            }
    }

    static func expectNoControls(_ document: FeedDocument, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!document.entries.isEmpty, sourceLocation: sourceLocation)
        for field in fields(document) {
            #expect(controls(in: field).isEmpty, "\(field.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    static func jsonString(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    /// The scan for controls reads eight bytes at a time: a control at any offset, and a C1
    /// control split across two words, are still found; text without one is left as it is.
    @Test func controlsAreFoundAtEveryOffset() {
        let plain = "The navies of China and Russia began «Joint Sea» — морское взаимодействие."
        #expect(plain.withoutControlCharacters == plain)
        for offset in 0...24 {
            for control in ["\u{1B}", "\u{9B}", "\u{0}", "\u{85}"] {
                var text = String(repeating: "a", count: offset) + control + String(repeating: "b", count: 24 - offset)
                #expect(Self.controls(in: text.withoutControlCharacters).isEmpty, "offset \(offset)")
                text = String(repeating: "é", count: offset) + control + "\n\t" + String(repeating: "z", count: 9)
                #expect(Self.controls(in: text.withoutControlCharacters).isEmpty, "offset \(offset), after non-ASCII")
                // Cyrillic words (no C2 byte) pass eight bytes at a time; the control among them is still found.
                text = String(repeating: "ж", count: offset) + control + String(repeating: "ы", count: 12)
                #expect(Self.controls(in: text.withoutControlCharacters).isEmpty, "offset \(offset), in Cyrillic")
                #expect(text.withoutControlCharacters.unicodeScalars.count == offset + 12, "offset \(offset), in Cyrillic")
            }
        }
    }

    @Test func jsonFeedFieldsLoseControlCharacters() throws {
        let h = try Self.jsonString(Self.hostile)
        let json = """
            {"version": "https://jsonfeed.org/version/1.1", "title": \(h), "description": \(h), "home_page_url": "https://example.com/\\u001b[0m",
             "language": \(h), "items": [{"id": \(h), "title": \(h), "url": "https://example.com/a\\u009b", "summary": \(h),
             "content_text": \(h), "authors": [{"name": \(h)}], "tags": [\(h)], "attachments": [{"url": "https://example.com/\\u0007x"}]}]}
            """
        let document = try FeedParser.parse(Array(json.utf8))
        Self.expectNoControls(document)
        #expect(document.entries.first?.title == "a[31mb2Jc]0;pwneddx\\e")
    }

    @Test func rssInJSONFieldsLoseControlCharacters() throws {
        let h = try Self.jsonString(Self.hostile)
        let json = """
            {"rss": {"channel": {"title": \(h), "item": [{"title": \(h), "guid": \(h), "description": \(h), "author": \(h)}]}}}
            """
        Self.expectNoControls(try FeedParser.parse(Array(json.utf8)))
    }

    @Test func base64AtomContentLosesControlCharacters() throws {
        let encoded = Data(("<p>" + Self.hostile + "</p>").utf8).base64EncodedString()
        let xml = """
            <feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>
            <entry><id>1</id><title mode="base64" type="text/plain">\(Data(Self.hostile.utf8).base64EncodedString())</title>
            <content type="text/html" mode="base64">\(encoded)</content></entry></feed>
            """
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(document.version == "atom03")
        Self.expectNoControls(document)
        #expect(document.entries.first?.content?.contains("pwned") == true)
    }

    @Test func c1ControlsInCDATALeaveEveryField() throws {
        let xml = "<rss version=\"2.0\"><channel><title><![CDATA[T\u{9B}1m]]></title><item><title><![CDATA[x\u{9B}31my\u{85}z]]></title>"
            + "<description><![CDATA[<p>one\u{1B}[0m</p>]]></description><author>a\u{9D}b</author><category>c\u{90}d</category></item></channel></rss>"
        let document = try FeedParser.parse(Array(xml.utf8))
        Self.expectNoControls(document)
        #expect(document.entries.first?.title == "x31myz")
        #expect(document.feed.title == "T1m")
    }

    @Test func paragraphsAndBidiCharactersStay() {
        #expect("a\tb\nc\r\nd\re\u{202E}f\u{200F}".withoutControlCharacters == "a\tb\nc\nd\ne\u{202E}f\u{200F}")
    }
}
