import Dispatch
import Foundation
import Synchronization

/// `transform` of every element, computed on every core and returned in the elements' order.
/// Worker `w` takes elements `w`, `w + workers`, …, so items of uneven cost spread evenly.
/// `transform` must be safe to call from several threads at once.
package func concurrentMap<Element: Sendable, Result>(
    _ elements: [Element], workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    _ transform: @Sendable (Element) -> Result
) -> [Result] {
    let workers = min(elements.count, workers)
    guard workers > 1 else { return elements.map(transform) }
    var results = [Result?](repeating: nil, count: elements.count)
    results.withUnsafeMutableBufferPointer { buffer in
        let slots = DisjointSlots(buffer: buffer)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: elements.count, by: workers) { slots.buffer[index] = transform(elements[index]) }
        }
    }
    return results.map { $0! }
}

/// The slots of a result buffer that concurrent workers fill. `@unchecked Sendable`: each index
/// is written by exactly one worker, and the buffer is read only after `concurrentPerform`
/// returns, which waits for every worker.
private struct DisjointSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
}

/// `transform` of every element on every core, in the elements' order, with `first` run by one
/// of the workers before it takes elements: work that must stay on one thread (the lookups
/// and inserts of the batch before) overlaps this batch's. Elements are handed out one at a
/// time, so the worker that ran `first` joins in as soon as it is done.
package func concurrentMap<Element: Sendable, Result>(
    _ elements: [Element], workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    after first: () -> Void, _ transform: @Sendable (Element) -> Result
) -> [Result] {
    let workers = max(1, min(elements.count, workers))
    var results = [Result?](repeating: nil, count: elements.count)
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(first) { first in
        let prelude = Prelude(run: first)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointSlots(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                if worker == 0 { prelude.run() }
                while case let index = next.add(1, ordering: .relaxed).oldValue, index < elements.count {
                    slots.buffer[index] = transform(elements[index])
                }
            }
        }
    }
    return results.map { $0! }
}

/// The work `concurrentMap(_:after:_:)` runs first. `@unchecked Sendable`: it is run once, by
/// worker 0, and whatever it touches is touched by its caller again only after
/// `concurrentPerform` has returned, which waits for every worker.
private struct Prelude: @unchecked Sendable {
    let run: () -> Void
}
