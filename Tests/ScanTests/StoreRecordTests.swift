import Foundation
import Store
import Testing

/// Records written by hand (for speed) must read back as they were written.
@Suite struct StoreRecords {
    @Test func everyFeedStateFieldSurvivesTheDatabase() async throws {
        let store = try SQLiteStore.inMemory()
        var state = FeedState(name: "wire", url: "https://wire.example/rss")
        state.etag = "\"v1\""
        state.lastModified = "Sun, 14 Jul 2024 08:00:00 GMT"
        state.lastFetch = Date(timeIntervalSince1970: 1_720_944_000.25)
        state.lastSuccess = Date(timeIntervalSince1970: 1_720_943_000)
        state.lastStatus = 304
        state.lastError = "timed out"
        state.errorCount = 3
        state.itemsSeen = 41
        state.nextDue = Date(timeIntervalSince1970: 1_720_945_000)
        state.movedTo = "https://wire.example/feed"
        state.movedCount = 2
        state.capped = 7
        try await store.commit(feed: state, items: [], alerts: [])
        #expect(try await store.feedState("wire") == state)

        // Saved again with fields cleared: the row is updated, not duplicated or merged.
        var cleared = FeedState(name: "wire", url: "https://wire.example/rss")
        cleared.itemsSeen = 41
        try await store.commit(feed: cleared, items: [], alerts: [])
        #expect(try await store.feedStates() == [cleared])
    }
}
