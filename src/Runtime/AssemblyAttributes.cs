// Every native call of this assembly passes blittable arguments only; the runtime's marshalling layer is
// off so that a non-blittable signature fails to compile instead of silently copying.
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]
