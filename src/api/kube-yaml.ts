// YAML read the way kubectl reads it. kubectl (sigs.k8s.io/yaml, go-yaml v2) resolves the YAML 1.1
// booleans: `name: y`, `country: NO`, `enabled: on` are booleans there, strings in YAML 1.2. Reading
// them as kubectl does lets `conveyor validate` report what the API server will see. Merge keys
// (`<<: *base`) likewise.
import { LineCounter, parseAllDocuments, type ScalarTag } from 'yaml';

const BOOL = 'tag:yaml.org,2002:bool';
const YAML11_TRUE: ScalarTag = {
  identify: (v) => v === true,
  default: true,
  tag: BOOL,
  test: /^(?:y|Y|yes|Yes|YES|on|On|ON)$/,
  resolve: () => true,
};
const YAML11_FALSE: ScalarTag = {
  identify: (v) => v === false,
  default: true,
  tag: BOOL,
  test: /^(?:n|N|no|No|NO|off|Off|OFF)$/,
  resolve: () => false,
};

/** All documents of a multi-document YAML text; positions through `lines`. */
export function parseKubernetesYaml(text: string, lines: LineCounter = new LineCounter()) {
  return parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    // `<<: *base` merge keys: YAML 1.1, which kubectl (go-yaml) reads; YAML 1.2 dropped them.
    merge: true,
    customTags: (tags) => [YAML11_TRUE, YAML11_FALSE, ...tags],
  });
}
