import Foundation
import Model
import Pipeline
import TestSupport
import Testing

/// An item its feed gives no date is undated in its story, whether the story's members were
/// judged in this process or read back from the state by a new one (a restart, another
/// instance). Read back, they used to take the time they were first seen as their date, so a
/// dated report near them in wording joined their story after a restart and not before.
@Suite struct UndatedStories {
    static let undated = (id: "u1", title: "Chinese and Russian warships begin joint naval drills off Vladivostok",
                          body: "Destroyers and frigates of the Chinese and Russian navies began a week of joint naval drills off Vladivostok on Monday, practising anti-submarine warfare and air defence, the two defence ministries said in a statement.")
    static let seen = Date(timeIntervalSince1970: 1_969_776_000)  // 2032-06-02, the dated reports' day

    static func feed(_ item: (id: String, title: String, body: String), dated: Bool) -> String {
        let date = dated ? "<pubDate>Wed, 02 Jun 2032 06:00:00 GMT</pubDate>" : ""
        return "<rss version=\"2.0\"><channel><title>Test</title><item><title>\(item.title)</title>"
            + "<link>https://news.example/\(item.id)</link><guid>\(item.id)</guid>\(date)"
            + "<description>\(item.body)</description></item></channel></rss>"
    }

    /// The verdict of a dated report judged after the undated one: in the same scan, or in a
    /// second scan by a new scanner.
    static func verdict(of report: (id: String, title: String, body: String), secondScan: Bool) async throws -> (alerts: Int, duplicates: Int) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-undated-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = Scans.Feeds()
        feeds.set("/wire.xml", feed(undated, dated: false))
        feeds.set("/desk.xml", secondScan ? feed((id: "none", title: "Harbour fees rise", body: "Fees rose."), dated: true) : feed(report, dated: true))
        let server = try Scans.server(feeds)
        defer { server.stop() }
        let settings = try Scans.settings(server, folder: folder)
        let store = try Scans.store(settings)
        var summary = try await Scans.scan(settings, store, now: { seen })
        if secondScan {
            feeds.set("/desk.xml", feed(report, dated: true))
            summary = try await Scans.scan(settings, store, now: { seen })
        }
        let desk = try #require(summary.outcomes.last)
        return (desk.alerts, desk.duplicates)
    }

    @Test func aDatedReportJoinsOrNotWhetherTheUndatedOneWasJudgedHereOrReadBack() async throws {
        // The same report reworded more and more: some variants fall between the wording a
        // dated pair needs (0.5) and the wording an undated one needs (0.6).
        let words = Self.undated.body.split(separator: " ").map(String.init)
        var differing: [Int] = []
        for changed in [0, 12, 16, 20, 24] {
            var body = words
            for index in stride(from: 1, to: body.count, by: 2).prefix(changed) { body[index] = "x\(index)" }
            let report = (id: "d\(changed)", title: Self.undated.title, body: body.joined(separator: " "))
            let here = try await Self.verdict(of: report, secondScan: false)
            let readBack = try await Self.verdict(of: report, secondScan: true)
            #expect(here.alerts + here.duplicates == 1)
            if here.alerts != readBack.alerts || here.duplicates != readBack.duplicates { differing.append(changed) }
        }
        #expect(differing.isEmpty, "words changed in the reports judged differently after a restart: \(differing)")
    }
}
