// The SPARQL editor of the query page (CodeMirror 6), bundled by build.mjs into
// queries/server/page/editor.js. It defines window.DatateamEditor.create(options); page.js uses it.
//
// The editor lives in a shadow root: there CodeMirror puts its styles in constructed style sheets
// (adoptedStyleSheets), which the page's Content-Security-Policy (style-src 'self', no
// 'unsafe-inline') allows, where a <style> element would be refused.

import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage, bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting,
} from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, Prec, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration, EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers,
} from "@codemirror/view";

const KEYWORDS = [
  "SELECT", "DISTINCT", "REDUCED", "CONSTRUCT", "DESCRIBE", "ASK", "WHERE", "FROM", "NAMED", "PREFIX", "BASE",
  "OPTIONAL", "FILTER", "UNION", "MINUS", "GRAPH", "BIND", "VALUES", "GROUP BY", "HAVING", "ORDER BY", "ASC",
  "DESC", "LIMIT", "OFFSET", "EXISTS", "NOT EXISTS", "IN", "NOT IN", "AS", "COUNT", "SUM", "MIN", "MAX", "AVG",
  "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "REGEX",
  "CONTAINS", "STRSTARTS", "STRENDS", "LCASE", "UCASE", "COALESCE", "IF", "isIRI", "isLiteral", "isBlank",
];

// A marked error: the line decoration (data-error-line="N") beside the lint diagnostic.
const setErrorLine = StateEffect.define();
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    if (tr.docChanged) value = Decoration.none;
    for (const effect of tr.effects) {
      if (effect.is(setErrorLine)) {
        value = effect.value == null ? Decoration.none : Decoration.set([
          Decoration.line({ class: "cm-errorLine", attributes: { "data-error-line": String(effect.value.line) } })
            .range(effect.value.from),
        ]);
      }
    }
    return value;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// An edit clears the marked error (the lint diagnostic would otherwise follow the text around).
const clearOnEdit = EditorState.transactionExtender.of((tr) =>
  tr.docChanged && tr.startState.field(errorLine).size ? { effects: setDiagnostics(tr.startState, []).effects } : null);

const theme = EditorView.theme({
  "&": { border: "1px solid #d5dbe1", borderRadius: "4px", fontSize: "13px", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "2px solid #1f5fae", outlineOffset: "-1px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.5",
                    minHeight: "14em", maxHeight: "60vh" },
  ".cm-content": { minHeight: "14em" },
  ".cm-errorLine": { backgroundColor: "#fdecea" },
  ".cm-gutters": { backgroundColor: "#f4f6f8", borderRight: "1px solid #d5dbe1", color: "#5c6670" },
});

/** The completion source: prefixes, the knowledge base's classes and properties, keywords, variables. */
function completionSource(vocabulary) {
  return (context) => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    const declaring = /\bPREFIX\s+([\w-]*)$/i.exec(before);
    if (declaring) {
      return {
        from: context.pos - declaring[1].length,
        options: vocabulary.prefixes.map(([prefix, iri]) => ({
          label: `${prefix}:`, apply: `${prefix}: <${iri}>`, detail: iri, type: "namespace",
        })),
        validFor: /^[\w-]*$/,
      };
    }
    const variable = context.matchBefore(/\?\w*/);
    if (variable) {
      const seen = new Set(context.state.doc.toString().match(/\?\w+/g) || []);
      seen.delete(variable.text);
      return { from: variable.from, options: [...seen].sort().map((v) => ({ label: v, type: "variable" })),
               validFor: /^\?\w*$/ };
    }
    const word = context.matchBefore(/[A-Za-z_][\w-]*(:[\w.-]*)?/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const terms = vocabulary.terms.map((t) => ({ label: t.name, type: t.kind === "class" ? "class" : "property",
                                                 detail: t.kind, info: t.label ? `${t.label} <${t.iri}>` : t.iri }));
    if (word.text.includes(":")) return { from: word.from, options: terms, validFor: /^[\w-]*:[\w.-]*$/ };
    const prefixes = vocabulary.prefixes.map(([prefix, iri]) => ({ label: `${prefix}:`, detail: iri, type: "namespace",
                                                                   boost: 1 }));
    const keywords = KEYWORDS.map((k) => ({ label: k, type: "keyword" }));
    return { from: word.from, options: [...prefixes, ...keywords, ...terms] };
  };
}

/** The offset of (line, column), both counted from 1, column in characters (code points). */
function offsetOf(doc, line, column) {
  const target = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const chars = Array.from(target.text);
  return target.from + chars.slice(0, Math.max(column - 1, 0)).join("").length;
}

/**
 * Make an editor in `parent` (its contents are replaced). options: doc (the text), onRun (Ctrl/Cmd+Enter),
 * onChange (text edited), label (accessible name). Returns { view, getText, setText, setVocabulary,
 * markError, clearError, focus }.
 */
function create({ parent, doc = "", onRun = () => {}, onChange = () => {}, label = "SPARQL query" }) {
  const vocabulary = { prefixes: [], terms: [] };
  const root = parent.shadowRoot || parent.attachShadow({ mode: "open" });
  const state = EditorState.create({
    doc,
    extensions: [
      lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), history(), drawSelection(),
      bracketMatching(), indentOnInput(), StreamLanguage.define(sparql),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      autocompletion({ override: [completionSource(vocabulary)], activateOnTyping: true }),
      lintGutter(), errorLine, clearOnEdit, theme, EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false", autocapitalize: "off" }),
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { onRun(); return true; } }])),
      keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.updateListener.of((update) => { if (update.docChanged) onChange(); }),
    ],
  });
  const view = new EditorView({ state, parent: root, root });

  function clearError() {
    view.dispatch(setDiagnostics(view.state, []), { effects: setErrorLine.of(null) });
  }

  function markError(line, column, message) {
    const doc = view.state.doc;
    const from = offsetOf(doc, line, column);
    const lineAt = doc.lineAt(from);
    // The server names the token it stopped at ("unexpected 'FILTER'; ..."): underline all of it.
    const token = /^unexpected (['"])(.+?)\1/.exec(message);
    const at = doc.sliceString(from, lineAt.to);
    const to = token && at.startsWith(token[2]) ? from + token[2].length : Math.min(from + 1, lineAt.to);
    view.dispatch(setDiagnostics(view.state, [{ from, to, severity: "error", message }]),
                  { effects: setErrorLine.of({ line: lineAt.number, from: lineAt.from }),
                    selection: { anchor: from }, scrollIntoView: true });
    view.focus();
  }

  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, effects: setErrorLine.of(null) });
      view.dispatch(setDiagnostics(view.state, []));
    },
    setVocabulary({ prefixes, terms }) {
      vocabulary.prefixes = prefixes;
      vocabulary.terms = terms;
    },
    markError,
    clearError,
    focus: () => view.focus(),
  };
}

window.DatateamEditor = { create };
