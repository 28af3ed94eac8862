/**
 * The comments of a parsed TypeScript file (line, block and JSDoc comments), found as the leading
 * trivia of its tokens, so comment-like text inside strings, templates and regular expressions is
 * never taken for a comment.
 *
 * @module
 */
import ts from "typescript";

/** One comment: its text (delimiters included) and its offset in the file. */
export interface Comment {
  text: string;
  offset: number;
}

/** Every comment of `sf`, in source order. */
export function commentsOf(sf: ts.SourceFile): Comment[] {
  const text = sf.getFullText();
  const byOffset = new Map<number, Comment>();
  const visit = (node: ts.Node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) {
      return;
    }
    const children = node.getChildren(sf);
    if (children.length > 0) {
      children.forEach(visit);
      return;
    }
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      byOffset.set(range.pos, { text: text.slice(range.pos, range.end), offset: range.pos });
    }
  };
  visit(sf);
  return [...byOffset.values()].sort((a, b) => a.offset - b.offset);
}
