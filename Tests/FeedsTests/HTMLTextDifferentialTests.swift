import Foundation
import TestSupport
import Testing
@testable import Feeds
@testable import XML

/// The feed files of the conformance suite, or nil (with a message) where it is absent.
private func conformanceFeedFiles() -> [URL]? {
    guard let folder = SharedData.url("conformance") else {
        print("skipped: ../shared/conformance is not present beside this checkout")
        return nil
    }
    return FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
        .filter { ["xml", "rss", "atom", "rdf"].contains($0.pathExtension) }
}

/// The extraction set's pages, unpacked, or nil (with a message) where it is absent.
private func extractionPages() throws -> [(name: String, html: String)]? {
    guard let folder = SharedData.url("extraction/html") else {
        print("skipped: ../shared/extraction is not present beside this checkout")
        return nil
    }
    return try FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
        .filter { $0.lastPathComponent.hasSuffix(".html.gz") }
        .map { url in
            (url.lastPathComponent, try Subprocess.run(URL(fileURLWithPath: "/bin/gzip"), ["-dc", url.path], timeout: 60).stdout)
        }
}

/// `HTMLText` reads fragments in one pass over their bytes; it replaced libxml2's HTML parser,
/// which is kept here (`LibXML2HTMLText`) as the oracle: on real feeds and pages the two must
/// give the same text.
@Suite struct HTMLTextAgainstLibXML2 {
    /// Every title, summary and content of the conformance suite's feeds (about 1,200).
    @Test func sameTextOnEveryConformanceFeed() throws {
        guard let files = conformanceFeedFiles() else { return }
        var fragments = 0
        var differing: [String] = []
        for url in files {
            guard let document = try? FeedParser.parse(Array(Data(contentsOf: url))) else { continue }
            for fragment in document.entries.flatMap({ [$0.title, $0.summary, $0.content].compactMap { $0 } }) {
                fragments += 1
                if HTMLText.plainText(fromHTML: fragment) != LibXML2HTMLText.plainText(fromHTML: fragment) {
                    differing.append(fragment)
                }
            }
        }
        #expect(fragments > 1000)
        // The one difference: libxml2 drops an `&` that ends a fragment ("&" alone); it is text.
        #expect(differing.allSatisfy { $0 == "&" }, "\(differing.prefix(5))")
        #expect(HTMLText.plainText(fromHTML: "&") == "&")
    }

    /// Tag names are compared packed (up to 16 bytes) or by their place among a fragment's
    /// long names: the same closing as libxml2 whatever their case and length.
    @Test(arguments: [
        "<p>a<averyveryverylongelementname>b</averyveryverylongelementname>c</p>d",
        "<DIV>a<averyveryverylongelementnameONE>b</averyveryverylongelementnameTWO>c</Div>d",
        "<x-sixteen-bytes>a<x-sixteen-bytesX>b</X-SIXTEEN-BYTES>c</x-sixteen-bytesx>d",
        "<td>x<th>y</TH>z<TD>w",
        "<ul><li>a<LI>b</UL>c<Ol><li>d</oL>e",
        "<p>a<b>b<i>c</p>d<FONT>e<Center>f",
        "<table><tr><td>a<tbody><tr><td>b</table>c",
    ])
    func sameTextWhateverTheTagNames(_ html: String) {
        #expect(HTMLText.plainText(fromHTML: html) == LibXML2HTMLText.plainText(fromHTML: html))
    }

    /// Text is read eight bytes at a time where it is words and single spaces: random texts of
    /// words, spaces, tabs, line breaks, no-break spaces, multi-byte letters and paragraphs,
    /// of every length around the block size, read as libxml2 reads them.
    @Test func sameTextOnRandomWordsAndSpaces() {
        let pieces = ["a", "bc", "word", "é", "жж", "中", " ", " ", " ", "  ", "\t", "\n", "\u{A0}", "x\u{A0}y", "<p>", "</p>", "<br>"]
        var generator = SplitMix(state: 20261206)  // the same texts on every run
        var differing: [String] = []
        for _ in 0..<3000 {
            let count = Int.random(in: 1...40, using: &generator)
            let html = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            if HTMLText.plainText(fromHTML: html) != LibXML2HTMLText.plainText(fromHTML: html) { differing.append(html) }
        }
        #expect(differing.isEmpty, "\(differing.prefix(5).map(\.debugDescription))")
    }

    /// Whole pages are the hardest fragments (`drillwatch corpus` reads HTML files this way).
    @Test func sameTextOnEveryExtractionPage() throws {
        guard let pages = try extractionPages() else { return }
        for (name, page) in pages {
            #expect(HTMLText.plainText(fromHTML: page) == LibXML2HTMLText.plainText(fromHTML: page), "\(name)")
        }
        #expect(pages.count > 100)
    }
}

/// An entry's text is read from its HTML as it came, not from the normalised HTML a reader is
/// shown: on every entry of the conformance suite the two give the same text. Where they do
/// not (whole pages and files, awkward tags), the normaliser is the one that loses text — a
/// `<` in a script taken for a tag eats the `</script>`, a tag cut off at the end becomes text —
/// and the text read as it came is libxml2's (the oracle above).
@Suite struct TextWithoutNormalising {
    private func normalisedText(_ html: String) -> String {
        HTMLText.plainText(fromHTML: HTMLNormalizer.normalise(html, base: "http://example.com/a/"))
    }

    @Test func sameTextForEveryConformanceEntry() throws {
        guard let files = conformanceFeedFiles() else { return }
        var fragments = 0
        var differing: [String] = []
        for url in files {
            for entry in (try? FeedParser.parse(Array(Data(contentsOf: url))).entries) ?? [] {
                for raw in [entry.summarySource?.raw, entry.contentSource?.raw].compactMap({ $0 }) {
                    fragments += 1
                    if HTMLText.plainText(fromHTML: raw) != normalisedText(raw) { differing.append(raw) }
                }
            }
        }
        #expect(fragments > 500)
        #expect(differing.isEmpty, "\(differing.prefix(5))")
    }

    /// Whole files as fragments: escaped and raw markup, odd attributes, comments, CDATA and
    /// entities of every kind. The text differs only for files that end inside a tag (`</rss`
    /// cut off: the normaliser makes the tag text, libxml2 drops it) or are UTF-16 or UTF-32
    /// read as UTF-8 (the normaliser drops their NUL bytes first).
    @Test func sameTextOnEveryConformanceFileButTheCutOrNotUTF8() throws {
        guard let files = conformanceFeedFiles() else { return }
        var differing: [String] = []
        for url in files {
            let file = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            let cutOrNotUTF8 = file.utf8.contains(0) || !file.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(">")
            if HTMLText.plainText(fromHTML: file) != normalisedText(file), !cutOrNotUTF8 { differing.append(url.lastPathComponent) }
        }
        #expect(files.count > 500)
        #expect(differing.isEmpty, "\(differing.prefix(5))")
    }

    @Test(arguments: [
        #"<p title="a>b">one</p><p x"y=1>two</p>"#,
        #"<img src=x alt='<p>'/>three<br/>four"#,
        #"<a href="/x" HREF='y' title=>five</a><td nowrap>six"#,
        #"<p a="/>">seven</p><p a='"'>eight"#,
        #"<div class="x" / >nine<script src="a.js">var s = "</div>";</script>ten"#,
        #"<p a=b/>eleven<p a="&amp;&bogus;&#x3c;">twelve"#,
    ])
    func sameTextOnAwkwardTags(_ html: String) {
        #expect(HTMLText.plainText(fromHTML: html) == normalisedText(html))
        #expect(HTMLText.plainText(fromHTML: html) == LibXML2HTMLText.plainText(fromHTML: html))
    }

    /// Where the normaliser loses text and libxml2 does not.
    @Test func textTheNormaliserLoses() {
        let script = #"<script>if (a<b) x();</script><p>kept</p>"#
        #expect(HTMLText.plainText(fromHTML: script) == "kept")
        #expect(LibXML2HTMLText.plainText(fromHTML: script) == "kept")
        #expect(normalisedText(script) == "")
        // A C1 reference is the windows-1252 character either way.
        #expect(HTMLText.plainText(fromHTML: "it&#146;s") == "it\u{2019}s")
        #expect(normalisedText("it&#146;s") == "it\u{2019}s")
    }
}
