// The YAML pane: CodeMirror 6 holding the text. Typing reports the new text (the view parses it);
// a new `text` from outside (a graph edit) replaces the content, marked so it is not echoed back.
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { Annotation, EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

const fromOutside = Annotation.define<boolean>();

/** `reveal`: put the cursor on this line and scroll to it (a new object each time it is asked). */
export type YamlEditorProps = {
  text: string;
  onChange: (text: string) => void;
  reveal?: { line: number; col: number };
};

export function YamlEditor(props: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    if (!host.current) return;
    const listener = EditorView.updateListener.of((update) => {
      if (update.docChanged && !update.transactions.some((t) => t.annotation(fromOutside)))
        onChange.current(update.state.doc.toString());
    });
    const extensions = [
      lineNumbers(),
      history(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      yaml(),
      EditorView.lineWrapping,
      listener,
    ];
    // In a shadow root, CodeMirror's styles go into a constructed (adopted) style sheet; in the
    // document it would add a <style> element, which the Console's CSP (style-src 'self') blocks.
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
    const editor = new EditorView({
      parent: shadow,
      root: shadow,
      state: EditorState.create({ doc: props.text, extensions }),
    });
    view.current = editor;
    return () => editor.destroy();
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() === props.text) return;
    editor.dispatch({
      changes: { from: 0, to: editor.state.doc.length, insert: props.text },
      annotations: fromOutside.of(true),
    });
  }, [props.text]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || !props.reveal) return;
    const line = editor.state.doc.line(Math.min(Math.max(1, props.reveal.line), editor.state.doc.lines));
    const anchor = Math.min(line.from + Math.max(0, props.reveal.col - 1), line.to);
    editor.dispatch({ selection: { anchor }, scrollIntoView: true });
    editor.focus();
  }, [props.reveal]);

  return html`<div ref=${host} data-testid="builder-yaml" aria-label="Pipeline YAML" class="builder-yaml"></div>`;
}
