// A govmomi client of the vim25 SOAP endpoint, as a tenant's tool would be written: govmomi.NewClient,
// find.Finder.VirtualMachine by name (the default datacenter), AcquireTicket, AcquireMksTicket, the guest
// process manager, Logout; a wrong password and another tenant's VM. It prints what it got as JSON for
// test/programs/vim25-soap-clients.test.ts. Built offline in GOPATH mode against Debian's govmomi source.
//
// Usage: main <https://user:password@host:port/sdk> <ticket VM name> <guest VM name> <another tenant's VM moId>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/guest"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// faultName is the vim25 fault type a call failed with ("" when it did not fail with a vim25 fault).
func faultName(err error) string {
	if err == nil {
		return ""
	}
	if soap.IsSoapFault(err) {
		return fmt.Sprintf("%T", soap.ToSoapFault(err).VimFault())
	}
	return "error: " + err.Error()
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	u, err := url.Parse(os.Args[1])
	if err != nil {
		return err
	}
	result := map[string]interface{}{}

	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "wrong-password")
	_, err = govmomi.NewClient(ctx, &wrong, true)
	result["wrongPassword"] = faultName(err)

	client, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	result["apiVersion"] = client.ServiceContent.About.ApiVersion

	// As govc does: the tenant's one datacenter is the default one.
	finder := find.NewFinder(client.Client, true)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return fmt.Errorf("DefaultDatacenter: %w", err)
	}
	finder.SetDatacenter(dc)
	result["datacenter"] = dc.InventoryPath
	vm, err := finder.VirtualMachine(ctx, os.Args[2])
	if err != nil {
		return fmt.Errorf("finder: %w", err)
	}
	result["found"] = []string{vm.Reference().Value, vm.InventoryPath}

	ticket, err := vm.AcquireTicket(ctx, "webmks")
	if err != nil {
		return fmt.Errorf("AcquireTicket: %w", err)
	}
	result["webmks"] = ticket

	mks, err := methods.AcquireMksTicket(ctx, client, &types.AcquireMksTicket{This: vm.Reference()})
	if err != nil {
		return fmt.Errorf("AcquireMksTicket: %w", err)
	}
	result["mks"] = mks.Returnval

	other := object.NewVirtualMachine(client.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: os.Args[4]})
	_, err = other.AcquireTicket(ctx, "webmks")
	result["otherTenant"] = faultName(err)

	guestVM, err := finder.VirtualMachine(ctx, os.Args[3])
	if err != nil {
		return fmt.Errorf("finder: %w", err)
	}
	processes, err := guest.NewOperationsManager(client.Client, guestVM.Reference()).ProcessManager(ctx)
	if err != nil {
		return fmt.Errorf("ProcessManager: %w", err)
	}
	auth := &types.NamePasswordAuthentication{Username: "demo", Password: "demo-guest-pass"}
	pid, err := processes.StartProgram(ctx, auth, &types.GuestProgramSpec{ProgramPath: "/bin/sh", Arguments: "-c 'exit 3'"})
	if err != nil {
		return fmt.Errorf("StartProgram: %w", err)
	}
	var info types.GuestProcessInfo
	for attempt := 0; attempt < 600; attempt++ {
		list, err := processes.ListProcesses(ctx, auth, []int64{pid})
		if err != nil {
			return fmt.Errorf("ListProcesses: %w", err)
		}
		if len(list) == 1 && list[0].EndTime != nil {
			info = list[0]
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	result["process"] = map[string]interface{}{"pid": pid == info.Pid, "name": info.Name, "exitCode": info.ExitCode, "owner": info.Owner}

	if err := client.Logout(ctx); err != nil {
		return fmt.Errorf("Logout: %w", err)
	}
	_, err = methods.GetCurrentTime(ctx, client)
	result["currentTimeAfterLogout"] = faultName(err)
	_, err = finder.VirtualMachine(ctx, os.Args[2])
	result["findAfterLogout"] = faultName(err)

	out, err := json.Marshal(result)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
