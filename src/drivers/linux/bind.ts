/**
 * Binding a VF to a kernel driver (vfio-pci for a VM, its netdev driver back on release),
 * the way dpdk-devbind and the sriov-network-device-plugin do it: name the driver in
 * `driver_override`, unbind the current one, ask the kernel to probe, clear the override.
 * With `sriov_drivers_autoprobe` 0 the kernel probes a VF only when driver_override names a
 * driver (pci_device_can_probe()), so a plain write to `drivers/X/bind` would get ENODEV.
 */
import { readFile, readlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Equivalent to: `basename $(readlink /sys/bus/pci/devices/ADDR/driver)`. */
export async function driverOf(root: string, addr: string): Promise<string | null> {
  try {
    return basename(await readlink(join(root, 'bus/pci/devices', addr, 'driver')));
  } catch {
    return null;
  }
}

/**
 * Equivalent to: `echo DRIVER > /sys/bus/pci/devices/ADDR/driver_override;
 * echo ADDR > /sys/bus/pci/drivers/CURRENT/unbind; echo ADDR > /sys/bus/pci/drivers_probe;
 * echo > …/driver_override`. Returns the driver bound before (null: none).
 */
export async function bindPci(root: string, addr: string, driver: string): Promise<string | null> {
  if (!/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(addr))
    throw new Error(`${JSON.stringify(addr)} is not a PCI address`);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(driver))
    throw new Error(`${JSON.stringify(driver)} is not a driver name`);
  const dev = join(root, 'bus/pci/devices', addr);
  const previous = await driverOf(root, addr);
  if (previous === driver) {
    // A bind cut short (a crash after the override was written) can leave another driver
    // named in driver_override: the next probe of the VF would take that one.
    const override = await readFile(join(dev, 'driver_override'), 'utf8').catch(() => '');
    if (override.trim() !== '' && override.trim() !== '(null)')
      await writeFile(join(dev, 'driver_override'), '\n');
    return previous;
  }
  await writeFile(join(dev, 'driver_override'), driver);
  try {
    if (previous) await writeFile(join(root, 'bus/pci/drivers', previous, 'unbind'), addr);
    await writeFile(join(root, 'bus/pci/drivers_probe'), addr);
  } finally {
    await writeFile(join(dev, 'driver_override'), '\n');
  }
  const now = await driverOf(root, addr);
  if (now !== driver)
    throw new Error(
      `VF ${addr}: bound to ${now ?? 'no driver'} instead of ${driver}${driver === 'vfio-pci' ? ' (is vfio-pci loaded? without an IOMMU it needs vfio enable_unsafe_noiommu_mode=1)' : ''}`,
    );
  return previous;
}
