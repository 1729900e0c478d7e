// What `npm run dev` prints once the example's run has finished: how to get back into the Console
// and what to try next, with the `conveyor` commands as src/cli/main.ts spells them (npx runs this
// checkout's own bin). The printed link's token works once (src/console/server/security.ts): it
// signs one browser in, and that browser keeps its session at the Console's address until the
// Console stops; another browser needs a new link, which `conveyor dashboard` prints.

export type ClosingHintFacts = { consoleUrl: string; kubeconfig: string; namespace: string; name: string };

/** The lines, indented under the `[conveyor]` line that says the run finished. */
export function closingHint(facts: ClosingHintFacts): string {
  const { kubeconfig, namespace, name } = facts;
  const address = `${new URL(facts.consoleUrl).origin}/`;
  return `the run finished. The operator and the Console keep running until Ctrl-C.
  Back into the Console: ${address} in the browser the link signed in (the link itself worked once).
  In a terminal:
    export KUBECONFIG=${kubeconfig}
    kubectl -n ${namespace} get pipelines
    npx conveyor describe ${name} -n ${namespace}
    npx conveyor run ${name} -n ${namespace}   # another run
    npx conveyor dashboard --open   # a Console with a new link, for another browser
  Ctrl-C stops the operator and the Console (the cluster keeps running; npm run cluster:down stops it).`;
}
