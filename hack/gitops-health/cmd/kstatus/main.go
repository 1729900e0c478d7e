// kstatus computes the kstatus status (sigs.k8s.io/cli-utils/pkg/kstatus) of one object, as Flux's
// health checks and `kstatus`-based tools (kpt, cli-utils' apply --wait) do, and prints it as
// {"status": "InProgress|Current|Failed|Terminating|NotFound|Unknown", "message": ...}.
//
//	kstatus < object.json
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		fail(fmt.Errorf("reading object: %w", err))
	}
	res, err := status.Compute(obj)
	if err != nil {
		fail(err)
	}
	out, _ := json.Marshal(map[string]string{"status": res.Status.String(), "message": res.Message})
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(1)
}
