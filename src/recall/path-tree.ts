// Sampled URLs of a domain as a tree of host/path prefixes with page counts: what a reviewer ticks.
import { hostPath } from './rules.ts'

export interface PathNode { prefix: string; pages: number; children: PathNode[] }

/** Prefixes end with '/': host/, host/a/, host/a/b/ (a URL's last segment is a page, not a prefix). */
export function pathTree(urls: string[]): PathNode[] {
  const root: PathNode = { prefix: '', pages: 0, children: [] }
  for (const url of urls) {
    const hp = hostPath(url)
    if (!hp) continue
    const parts = hp.split('/')
    let node = root
    let prefix = ''
    for (let i = 0; i < parts.length - 1; i++) {
      prefix += `${parts[i]}/`
      let child = node.children.find((c) => c.prefix === prefix)
      if (!child) {
        child = { prefix, pages: 0, children: [] }
        node.children.push(child)
      }
      child.pages++
      node = child
    }
  }
  const sort = (n: PathNode): void => { n.children.sort((a, b) => a.prefix.localeCompare(b.prefix)); n.children.forEach(sort) }
  sort(root)
  return root.children
}

/** The tree as indented lines: "  host/a/  (12 pages)". */
export function renderTree(nodes: PathNode[], depth = 0, maxDepth = 3): string[] {
  return nodes.flatMap((n) => [`${'  '.repeat(depth + 1)}${n.prefix}  (${n.pages} pages)`, ...(depth + 1 < maxDepth ? renderTree(n.children, depth + 1, maxDepth) : [])])
}
