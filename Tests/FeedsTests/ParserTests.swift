import Foundation
import Testing
@testable import Feeds

@Suite struct Parsing {
    /// Text with references reaches libxml2 as characters in CDATA sections (`XMLRepair`): what
    /// a section cannot hold as it is still comes out as it was written.
    @Test func escapedTextReadsTheSameThroughSections() throws {
        let xml = """
            <rss version="2.0"><channel><title>Feed</title>
            <item><title>A ]]&gt; B &amp; C &lt;tag&gt; ]]]&gt;&#93;]&gt;</title>
            <description>&lt;p&gt;One &amp;amp; two&lt;/p&gt;&lt;p&gt;x ]]&gt; y&lt;/p&gt;</description>
            <link>https://example.com/1?a=1&amp;b=2</link></item>
            <item><title>line&#13;break &#8212; dash</title></item>
            </channel></rss>
            """
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(!document.bozo)
        let entries = document.entries
        #expect(entries.first?.title == "A ]]> B & C <tag> ]]]>]]>")
        #expect(entries.first?.summary == "<p>One &amp; two</p><p>x ]]> y</p>")
        #expect(entries.first?.text == "One & two\n\nx ]]> y")
        #expect(entries.first?.link == "https://example.com/1?a=1&b=2")
        // A carriage return from a reference is kept as one (then made a line feed, as every
        // carriage return in an entry's text is).
        #expect(entries.last?.title == "line\nbreak \u{2014} dash")
    }

    /// A field is the first child of its name in the families asked, not the first of its name:
    /// `dc:title` before `title` does not hide it, and each entry is read from its own children
    /// (entries of the same shape follow one another at the same place in the tree).
    @Test func fieldsAreFoundPastChildrenOfTheSameNameInAnotherFamily() throws {
        let xml = """
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Feed</title>
            <item><dc:title>Dublin Core title</dc:title><title>First</title><dc:date>2024-07-14T00:00:00Z</dc:date></item>
            <item><title>Second</title><link>https://example.com/2</link></item>
            <item><dc:title>Only Dublin Core</dc:title><link>https://example.com/3</link></item>
            </channel></rss>
            """
        let entries = try FeedParser.parse(Array(xml.utf8)).entries
        #expect(entries.map(\.title) == ["First", "Second", "Only Dublin Core"])
        #expect(entries.map(\.link) == [nil, "https://example.com/2", "https://example.com/3"])
        #expect(entries.map { $0.updated.map(FeedDate.format) } == ["2024-07-14T00:00:00Z", nil, nil])
    }

    @Test func rss20ItemFields() throws {
        let xml = """
            <?xml version="1.0"?>
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
            <channel><title>Defence news</title><link>https://example.com/</link><language>en-gb</language><ttl>30</ttl>
            <item>
              <title>Joint Sea-2024 begins</title>
              <link>/news/joint-sea-2024</link>
              <guid isPermaLink="false">abc-123</guid>
              <pubDate>Sun, 14 Jul 2024 08:30:00 +0800</pubDate>
              <dc:creator>Staff writer</dc:creator>
              <category>Navy</category>
              <description>&lt;p&gt;Ships gathered &amp;amp; sailed.&lt;/p&gt;</description>
              <content:encoded><![CDATA[<p>The PLA Navy and the Russian Pacific Fleet began drills.</p><script>alert(1)</script><p>Second paragraph.</p>]]></content:encoded>
              <enclosure url="/img/ship.jpg" type="image/jpeg" length="1"/>
            </item>
            </channel></rss>
            """
        let document = try FeedParser.parse(Array(xml.utf8), source: FeedSource(url: "https://example.com/rss.xml"))
        #expect(document.version == "rss20")
        #expect(!document.bozo)
        #expect(document.feed.ttlMinutes == 30)
        #expect(document.feed.language == "en-gb")
        let entry = try #require(document.entries.first)
        #expect(entry.title == "Joint Sea-2024 begins")
        #expect(entry.link == "https://example.com/news/joint-sea-2024")
        #expect(entry.id == "abc-123")
        #expect(entry.key == "id:abc-123")
        #expect(entry.published.map(FeedDate.format) == "2024-07-14T00:30:00Z")
        #expect(entry.author == "Staff writer")
        #expect(entry.categories == ["Navy"])
        #expect(entry.enclosures == ["https://example.com/img/ship.jpg"])
        #expect(entry.summary == "<p>Ships gathered &amp; sailed.</p>")
        // The classifier's text: content preferred, script dropped, paragraphs kept.
        #expect(entry.text == "The PLA Navy and the Russian Pacific Fleet began drills.\n\nSecond paragraph.")
    }

    @Test func atom10EntryFields() throws {
        let xml = """
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.org/world/" xml:lang="ru">
              <title type="text">Мир</title>
              <link rel="self" href="/feed.atom"/>
              <link rel="alternate" type="text/html" href="./"/>
              <updated>2024-09-10T12:00:00+03:00</updated>
              <entry>
                <title type="html">North-Joint &lt;b&gt;2024&lt;/b&gt;</title>
                <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
                <link rel="alternate" href="2024/09/north-joint.html"/>
                <link rel="enclosure" href="photo.jpg"/>
                <published>2024-09-10T09:00:00Z</published>
                <author><name>Reporter</name><email>r@example.org</email></author>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Drills in the <a href="/seas/japan">Sea of Japan</a>.</p></div></content>
              </entry>
            </feed>
            """
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(document.version == "atom10")
        #expect(document.feed.link == "https://news.example.org/world/")
        #expect(document.feed.language == "ru")
        #expect(document.feed.updated.map(FeedDate.format) == "2024-09-10T09:00:00Z")
        let entry = try #require(document.entries.first)
        #expect(entry.title == "North-Joint <b>2024</b>")
        #expect(entry.link == "https://news.example.org/world/2024/09/north-joint.html")
        #expect(entry.enclosures == ["https://news.example.org/world/photo.jpg"])
        #expect(entry.author == "Reporter (r@example.org)")
        #expect(entry.content == "<p>Drills in the <a href=\"https://news.example.org/seas/japan\">Sea of Japan</a>.</p>")
        #expect(entry.text == "Drills in the Sea of Japan.")
    }

    @Test func rss10RDF() throws {
        let xml = """
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <channel rdf:about="http://example.org/"><title>RDF site</title><link>http://example.org/</link></channel>
              <item rdf:about="http://example.org/a"><title>A</title><link>http://example.org/a</link><dc:date>2024-01-02T03:04:05Z</dc:date></item>
              <item rdf:about="http://example.org/b"><title>B</title><link>http://example.org/b</link></item>
            </rdf:RDF>
            """
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(document.version == "rss10")
        #expect(document.feed.title == "RDF site")
        #expect(document.entries.map(\.title) == ["A", "B"])
        #expect(document.entries.first?.id == "http://example.org/a")
        #expect(document.entries.first?.updated.map(FeedDate.format) == "2024-01-02T03:04:05Z")
    }

    @Test func jsonFeed11() throws {
        let json = """
            {"version": "https://jsonfeed.org/version/1.1", "title": "JSON news", "home_page_url": "https://j.example/",
             "items": [{"id": "7", "url": "https://j.example/7", "title": "Ocean-2024", "content_html": "<p>Ships &amp; planes</p>",
                        "date_published": "2024-09-10T10:00:00+03:00", "authors": [{"name": "Desk"}]}]}
            """
        let document = try FeedParser.parse(Array(json.utf8))
        #expect(document.version == "json11")
        let entry = try #require(document.entries.first)
        #expect(entry.title == "Ocean-2024")
        #expect(entry.text == "Ships & planes")
        #expect(entry.author == "Desk")
        #expect(entry.published.map(FeedDate.format) == "2024-09-10T07:00:00Z")
    }

    @Test func itemIdentityRule() {
        // guid/id first; then link; then title with date — never content.
        #expect(ItemKey.make(id: " g1 ", link: "http://x/1", title: "T", date: nil) == "id:g1")
        #expect(ItemKey.make(id: nil, link: "http://x/1", title: "T", date: nil) == "link:http://x/1")
        let date = FeedDate.parse("2024-07-14T00:00:00Z")
        #expect(ItemKey.make(id: "", link: nil, title: "Title", date: date) == "title:Title|2024-07-14T00:00:00Z")
    }

    @Test func editedContentKeepsTheKey() throws {
        func feed(_ body: String) -> [UInt8] {
            Array("<rss version=\"2.0\"><channel><item><title>Same</title><link>http://x/1</link><description>\(body)</description></item></channel></rss>".utf8)
        }
        let before = try FeedParser.parse(feed("first version"))
        let after = try FeedParser.parse(feed("corrected version"))
        #expect(before.entries[0].key == after.entries[0].key)
    }

    @Test func notAFeedIsAnError() {
        #expect(throws: FeedError.self) { try FeedParser.parse(Array("<html><body>hi</body></html>".utf8)) }
        #expect(throws: FeedError.empty) { try FeedParser.parse(Array("  \n".utf8)) }
        #expect(throws: FeedError.self) { try FeedParser.parse(Array("{\"not\": \"a feed\"}".utf8)) }
        #expect(throws: FeedError.self) { try FeedParser.parse(Array("plain text, no markup".utf8)) }
    }

    @Test func streamingDeliversEntriesInOrder() throws {
        var xml = "<rss version=\"2.0\"><channel><title>Many</title>"
        for index in 0..<2000 { xml += "<item><title>Item \(index) &amp; more</title><guid>g\(index)</guid></item>" }
        xml += "</channel></rss>"
        var seen: [String] = []
        let document = try FeedParser.parse(Array(xml.utf8)) { seen.append($0.id ?? "") }
        #expect(document.entries.isEmpty)
        #expect(seen.count == 2000)
        #expect(seen.first == "g0" && seen.last == "g1999")
        #expect(document.feed.title == "Many")
    }

    @Test func chunkBoundariesInsideReferencesAreHandled() throws {
        // A reference straddling the repair pass's 256 KiB chunk boundary must survive.
        let padding = String(repeating: "x", count: 256 * 1024 - 60)
        for shift in 0..<12 {
            let xml = "<rss version=\"2.0\"><channel><title>\(String(repeating: "y", count: shift))</title><item><description>\(padding)</description><title>A &mdash; B &amp; C</title></item></channel></rss>"
            let document = try FeedParser.parse(Array(xml.utf8))
            #expect(document.entries.first?.title == "A \u{2014} B & C", "shift \(shift)")
        }
    }
}

@Suite struct HostileDocuments {
    /// libxml2 compares each attribute of a tag with every earlier one: 200,000 attributes on
    /// one item took 7 s. The tag keeps its first thousand; the item and its fields are read.
    @Test func aTagWithTooManyAttributesIsCut() throws {
        let attributes = (0..<200_000).map { "a\($0)=\"1\"" }.joined(separator: " ")
        let feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item \(attributes)>"
            + "<title>Joint Sea</title><link>http://a.example/1</link></item></channel></rss>"
        let document = try FeedParser.parse(Array(feed.utf8))
        #expect(document.entries.map(\.title) == ["Joint Sea"])
        #expect(document.entries.first?.link == "http://a.example/1")
        #expect(document.bozoReason?.contains("more than 1000 attributes") == true)
    }

    /// Names are kept for the whole parse up to `Names.maxShared` distinct ones; past that an
    /// entry's own names go with it and their ids are used again. Entries after the limit must
    /// still read their fields by name, a namespace first declared inside an entry included.
    @Test func namesPastTheLimitAreReadAndForgotten() throws {
        let filler = (0..<(Names.maxShared + 500)).map { "<x\($0)/>" }.joined()
        let items = (0..<3).map { n in
            "<item><y\(n)a/><author>Reporter \(n)</author><y\(n)b>z</y\(n)b>"
                + "<media:title xmlns:media=\"http://search.yahoo.com/mrss/\">Item \(n)</media:title>"
                + "<link>http://a.example/\(n)</link></item>"
        }.joined()
        let feed = "<rss version=\"2.0\"><channel><title>t</title>\(filler)\(items)</channel></rss>"
        let document = try FeedParser.parse(Array(feed.utf8))
        #expect(document.entries.map(\.title) == ["Item 0", "Item 1", "Item 2"])
        #expect(document.entries.map(\.author) == ["Reporter 0", "Reporter 1", "Reporter 2"])
        #expect(document.entries.map(\.link) == ["http://a.example/0", "http://a.example/1", "http://a.example/2"])
        #expect(document.feed.title == "t")
    }

    @Test func billionLaughsIsInert() throws {
        let started = ContinuousClock.now
        let document = try FeedParser.parse(Fixture.bytes("hostile/billion-laughs.xml"))
        #expect(ContinuousClock.now - started < .seconds(10))
        // Declared entities are never expanded: the reference stays as text.
        #expect(document.feed.title == "Laughs &lol9;")
        #expect(document.entries.first?.link == "http://example.com/a")
        #expect(document.bozo)
    }

    @Test func externalEntitiesAreNeverLoaded() throws {
        let document = try FeedParser.parse(Fixture.bytes("hostile/xxe-file.xml"))
        let title = try #require(document.entries.first?.title)
        #expect(!title.contains("root:"))
        #expect(title == "Secret: &xxe;")
    }

    @Test func truncatedDocumentKeepsCompleteItems() throws {
        let document = try FeedParser.parse(Fixture.bytes("hostile/truncated.xml"))
        #expect(document.bozo)
        #expect(document.entries.count >= 2)
        #expect(document.entries[0].title == "First & complete")
        #expect(document.entries[1].title == "Second \u{2014} also complete")
    }

    @Test func brokenEntitiesAreResolvedNotDropped() throws {
        let document = try FeedParser.parse(Fixture.bytes("hostile/broken-entities.xml"))
        #expect(document.bozo)
        #expect(document.feed.title == "Tom & Jerry \u{00A0}\u{2014} news &unknownthing; \u{FFFD} \u{FFFD}")
        #expect(document.entries.count == 2)
        #expect(document.entries[0].title == "A < B & C \u{00A9} 2024")
        #expect(document.entries[0].link == "http://example.com/?a=1&b=2")
        #expect(document.entries[0].text == "Fish & chips raw & here")
        #expect(document.entries[1].title == "After the errors: & still & works")
    }

    @Test func deepNestingFailsFastAndBounded() throws {
        let depth = 10_000
        let xml = "<rss version=\"2.0\"><channel><item><title>ok</title><description>" + String(repeating: "<a>", count: depth)
            + String(repeating: "</a>", count: depth) + "</description></item></channel></rss>"
        let started = ContinuousClock.now
        let document = try? FeedParser.parse(Array(xml.utf8))
        #expect(ContinuousClock.now - started < .seconds(15))
        if let document { #expect(document.bozo) }
    }

    @Test func nulBytesAndControlCharactersAreNeutralised() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><item><title>A".utf8)
        bytes += [0x00, 0x01, 0x1B]
        bytes += Array("B</title></item></channel></rss>".utf8)
        let document = try FeedParser.parse(bytes)
        #expect(document.bozo)
        #expect(document.entries.first?.title == "A   B")
    }
}

@Suite struct OversizedDocuments {
    /// Under the fetcher's 15 MiB cap, a title can still be 14 MB: parsed in bounded time, and
    /// never the cause of an error for the rest of the feed.
    @Test func hugeTitleDoesNotSinkTheFeed() throws {
        let xml = "<rss version=\"2.0\"><channel><title>Big</title><item><guid>a</guid><title>" + String(repeating: "A", count: 14_000_000)
            + "</title></item><item><guid>b</guid><title>Next</title></item></channel></rss>"
        let started = ContinuousClock.now
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(document.entries.map(\.id) == ["a", "b"])
        #expect(document.entries.first?.title?.count == 14_000_000)
        #expect(document.entries.last?.title == "Next")
    }
}

@Suite struct ReadingPieces {
    /// Every field name a reader looks elements up by is recognised in its spelling, as
    /// documents write it (a name misspelt in `FieldName` would make that field never found).
    @Test func fieldNamesAreRecognisedAsDocumentsSpellThem() {
        for field in FieldName.allCases {
            #expect(FieldName.named(String(describing: field)) == field)
        }
        #expect(FieldName.named("pubDate") == .pubDate)
        #expect(FieldName.named("pubdate") == nil)  // XML names are case-sensitive
        #expect(FieldName.allCases.count < Int(FieldName.none))
    }

    @Test func escapingWritesMarkupCharactersAsReferences() {
        #expect(TextConstruct.escape("plain words, ЖЖ 中俄", quotes: true) == "plain words, ЖЖ 中俄")
        #expect(TextConstruct.escape("a < b & \"c\" > d", quotes: false) == "a &lt; b &amp; \"c\" &gt; d")
        #expect(TextConstruct.escape("中 \"俄\" & Ж", quotes: true) == "中 &quot;俄&quot; &amp; Ж")
    }
}
