import Foundation
import TestSupport
import Testing
@testable import Feeds
@testable import XML

/// `HTMLText` reads fragments in one pass over their bytes; it replaced libxml2's HTML parser,
/// which is kept here (`LibXML2HTMLText`) as the oracle: on real feeds and pages the two must
/// give the same text.
@Suite struct HTMLTextAgainstLibXML2 {
    /// Every title, summary and content of the conformance suite's feeds (about 1,200).
    @Test func sameTextOnEveryConformanceFeed() throws {
        guard let folder = SharedData.url("conformance") else {
            print("skipped: ../shared/conformance is not present beside this checkout")
            return
        }
        var fragments = 0
        var differing: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        where ["xml", "rss", "atom", "rdf"].contains(url.pathExtension) {
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

    /// Whole pages are the hardest fragments (`drillwatch corpus` reads HTML files this way).
    @Test func sameTextOnEveryExtractionPage() throws {
        guard let folder = SharedData.url("extraction/html") else {
            print("skipped: ../shared/extraction is not present beside this checkout")
            return
        }
        var pages = 0
        for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        where url.lastPathComponent.hasSuffix(".html.gz") {
            let page = try gunzip(url)
            pages += 1
            #expect(HTMLText.plainText(fromHTML: page) == LibXML2HTMLText.plainText(fromHTML: page), "\(url.lastPathComponent)")
        }
        #expect(pages > 100)
    }

    private func gunzip(_ url: URL) throws -> String {
        try Subprocess.run(URL(fileURLWithPath: "/bin/gzip"), ["-dc", url.path], timeout: 60).stdout
    }
}
