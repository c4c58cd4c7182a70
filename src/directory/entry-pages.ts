/**
 * A paged search (RFC 2696) that hands over ldapts' parsed entries as they are. ldapts' own
 * `searchPaginated` turns every entry into an object first (`SearchEntry.toObject`: a Set, a
 * `toLocaleLowerCase` per attribute, `[]` for each requested attribute the entry lacks), which `entry.ts`
 * then maps again: for a read of a hundred thousand users that was a third of the reading thread's CPU.
 * Here each entry is mapped once, straight from its parsed attributes.
 *
 * Each next page is asked for as soon as the last one has arrived, so that the server reads it while this
 * side decodes the last (ldapts asks only once the consumer wants it).
 *
 * This sends the request through ldapts' message layer (`_send`, `_nextMessageId`: the same two calls its
 * `searchPaginated` makes). Where a version of ldapts lacks them, its public `searchPaginated` is used.
 */
import {
  type Client,
  type Filter,
  FilterParser,
  PagedResultsControl,
  SearchRequest,
  type SearchResponse,
  StatusCodeParser,
} from 'ldapts';
import { type ParsedEntry, parsedEntry } from './entry.js';

export interface EntryPageSearch {
  scope: 'base' | 'one' | 'sub';
  filter: Filter | string;
  attributes: string[];
  pageSize: number;
}

/** ldapts' message layer, where this version of it has one. */
interface MessageLayer {
  _send(message: SearchRequest): Promise<SearchResponse | undefined>;
  _nextMessageId(): number;
}

function messageLayer(client: Client): MessageLayer | undefined {
  const layer = client as unknown as Partial<MessageLayer>;
  return typeof layer._send === 'function' && typeof layer._nextMessageId === 'function'
    ? (layer as MessageLayer)
    : undefined;
}

/** The entries of a paged search, a page at a time. The client must be connected and bound. */
export async function* searchEntryPages(
  client: Client,
  base: string,
  search: EntryPageSearch,
): AsyncGenerator<ParsedEntry[]> {
  const layer = messageLayer(client);
  if (layer === undefined) {
    yield* publicEntryPages(client, base, search);
    return;
  }
  const paging = new PagedResultsControl({ value: { size: search.pageSize } });
  const request = new SearchRequest({
    messageId: -1,
    baseDN: base,
    scope: search.scope,
    filter: typeof search.filter === 'string' ? FilterParser.parseString(search.filter) : search.filter,
    attributes: search.attributes,
    controls: [paging],
  });
  let pending = false;
  const send = (): Promise<SearchResponse | undefined> => {
    request.messageId = layer._nextMessageId();
    const response = layer._send(request);
    pending = true;
    // Seen when awaited; until then a failure of a page nobody waits for is no unhandled rejection.
    response.catch(() => undefined);
    return response;
  };
  let next = send();
  try {
    for (;;) {
      const response = await next;
      pending = false;
      if (response?.status !== 0) throw StatusCodeParser.parse(response);
      const answer = response.controls?.find(
        (control): control is PagedResultsControl => control instanceof PagedResultsControl,
      );
      const cookie = answer?.value?.cookie;
      const empty = response.searchEntries.length === 0 && response.searchReferences.length === 0;
      const more = !empty && cookie !== undefined && cookie.length > 0;
      // The next page is asked for before this one is handed over: the server finds it while the
      // consumer decodes this one.
      if (more) {
        paging.value = { size: search.pageSize, cookie };
        next = send();
      }
      yield response.searchEntries;
      if (!more) return;
    }
  } finally {
    // A consumer that stopped early left the next page asked for. slapd keeps one paged search per
    // connection and may run two operations of one connection at once: the next search must not begin
    // before this one's last page is answered, or the server takes its cookie for stale.
    if (pending) await next.catch(() => undefined);
  }
}

/** The same pages through ldapts' public `searchPaginated` (each entry through `toObject` and back). */
export async function* publicEntryPages(
  client: Client,
  base: string,
  search: EntryPageSearch,
): AsyncGenerator<ParsedEntry[]> {
  for await (const page of client.searchPaginated(base, {
    scope: search.scope,
    filter: search.filter,
    attributes: search.attributes,
    paged: { pageSize: search.pageSize },
  })) {
    yield page.searchEntries.map(parsedEntry);
  }
}
