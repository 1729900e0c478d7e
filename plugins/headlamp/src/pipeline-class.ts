// The Pipeline custom resource (conveyor.dev/v1alpha1) as a Headlamp KubeObject class, so lists
// and gets go through Headlamp's own cache and watches.
import { makeCustomResourceClass } from '@kinvolk/headlamp-plugin/lib/lib/k8s/crd';

export const PipelineClass = makeCustomResourceClass({
  apiInfo: [{ group: 'conveyor.dev', version: 'v1alpha1' }],
  kind: 'Pipeline',
  pluralName: 'pipelines',
  singularName: 'pipeline',
  isNamespaced: true,
});
