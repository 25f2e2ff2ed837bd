import Article
import Foundation

/// Article extraction over a folder of pages (`KEY.html` or `KEY.html.gz`): pages per second
/// and peak memory as one JSON line, and optionally the extracted bodies in the format of
/// `../shared/extraction/score_extraction.py` (`{KEY: {"articleBody": …}}`).
/// Timed: bytes in memory → article. Not timed: reading (and decompressing) the files.
enum ExtractBench {
    static func run(folder: String, output: String?, repeatCount: Int) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".html") || $0.hasSuffix(".html.gz") }.sorted()
        var pages: [(key: String, bytes: [UInt8])] = []
        for name in names {
            guard let bytes = try? PageFile.read((folder as NSString).appendingPathComponent(name)) else { continue }
            let key = name.hasSuffix(".gz") ? String(name.dropLast(8)) : String(name.dropLast(5))
            pages.append((key, bytes))
        }
        var times: [Double] = []
        var articles: [String: Article] = [:]
        for _ in 0..<repeatCount {
            let started = ContinuousClock.now
            for page in pages { articles[page.key] = ArticleExtractor.extract(page.bytes) }
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let median = times.sorted()[times.count / 2]
        let bytes = pages.reduce(0) { $0 + $1.bytes.count }
        print("""
            {"peer": "drillwatch", "stage": "extract", "pages": \(pages.count), "bytes": \(bytes), \
            "seconds": \(round(median * 1000) / 1000), "pages_per_s": \(round(Double(pages.count) / median * 10) / 10), \
            "peak_rss_mb": \(round(Bench.peakRSS() * 10) / 10)}
            """)
        guard let output else { return }
        let predictions = articles.mapValues { ["articleBody": $0.text] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard FileManager.default.createFile(atPath: output, contents: try? encoder.encode(predictions)) else {
            FileHandle.standardError.write(Data("drillwatch-bench: \(output): cannot be written\n".utf8))
            exit(1)
        }
    }
}
