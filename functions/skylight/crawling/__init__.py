"""What every provider's crawler shares, whatever the cloud: it imports no cloud SDK.

- `budget`: the call budget (a token bucket per service of a segment), well under the cloud's own quota.
- `metering`: the calls, throttles and sequential pages each listing spends, counted from any thread.
- `stopping`: how a crawl that is told to stop (the account was disconnected) says so.
- `listings`: assembling the listings of a segment (a segment nothing could be listed in, repeated gaps).
- `modules`: the resource-module contract (one module per resource type: a dumb `fetch`, a pure
  `transform`), its checks, discovery by convention and the code version that pages are vouched for by.
- `details`: detail calls about listed items, several at once, an item whose call is refused kept as listed.
"""
