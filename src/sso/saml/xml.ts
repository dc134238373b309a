import { DOMParser } from '@xmldom/xmldom';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const ELEMENT_NODE = 1;

/** True when the text declares a DTD or an entity: neither has a place in SAML, and both feed parser attacks. */
export function hasDtd(xml: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(xml);
}

/**
 * Parses XML with @xmldom/xmldom and fails on anything the parser reports, warnings included (xmldom
 * recovers from malformed input by guessing, and a guess is not what a signature was computed over).
 * Returns the reason as a string so that callers wrap it in their own error type.
 */
export function parseXml(xml: string): { doc: Document } | { error: string } {
  const problems: string[] = [];
  const record = (message: unknown) => {
    problems.push(String(message).trim().split('\n')[0]);
  };
  let doc: Document;
  try {
    doc = new DOMParser({
      locator: {},
      errorHandler: { warning: record, error: record, fatalError: record },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : 'unparseable' };
  }
  if (problems.length > 0) return { error: problems[0] };
  if (!doc || !doc.documentElement) return { error: 'no root element' };
  if (doc.doctype) return { error: 'a DOCTYPE is not allowed' };
  return { doc };
}

/** The element children of `parent` with this namespace and local name, in document order. */
export function childElements(parent: Element | Document, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  const nodes = parent.childNodes;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    if (element.namespaceURI === namespace && element.localName === localName) found.push(element);
  }
  return found;
}

/** The descendants of `root` with this namespace and local name (document order). */
export function descendantElements(root: Element | Document, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName) as unknown as ArrayLike<Element>);
}

/** The value of an attribute, or null when it is absent (xmldom answers '' for both). */
export function attribute(element: Element, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}

/** The element's text, whitespace around it trimmed (IdPs pretty-print). */
export function text(element: Element): string {
  return (element.textContent ?? '').trim();
}
