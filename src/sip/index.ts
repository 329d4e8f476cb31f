/** The public API of the SIP message layer. */
export type {
  CSeq,
  HeaderField,
  NameAddr,
  ParseError,
  ParseResult,
  PartialHeaders,
  SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
  Via,
} from './message.js';
export { COMPACT_FORMS, canonicalName, headerKey } from './header-names.js';
export { DEFAULT_MAX_MESSAGE_SIZE, parseMessage, type ParseOptions } from './parse-message.js';
export { StreamFramer, type FramedItem, type StreamFramerOptions } from './stream-framer.js';
export { formatUri, parseUri, uriEquals } from './uri.js';
export { formatVia, parseVia } from './via.js';
export { parseNameAddr, parseNameAddrList } from './name-addr.js';
export {
  addHeader,
  popRoute,
  popVia,
  prependRecordRoute,
  pushVia,
  removeHeader,
  replaceContactUri,
  setBody,
  setHeader,
  setMaxForwards,
  setRequestUri,
  setTopViaReceived,
} from './edit.js';
export { serialize } from './serialize.js';
export {
  BRANCH_COOKIE,
  buildRequest,
  buildResponse,
  buildResponseFromPartial,
  newBranch,
  newCallId,
  newTag,
  type RequestSpec,
  type ResponseOptions,
} from './build.js';
export { toByteString } from './lexical.js';
