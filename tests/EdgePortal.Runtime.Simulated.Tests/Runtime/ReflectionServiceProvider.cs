using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

/// <summary>
/// Resolves services straight from an <see cref="IServiceCollection"/>, by reflection. This test project references
/// only the dependency-injection abstractions, not the container (Microsoft.Extensions.DependencyInjection), so this
/// stands in for <c>BuildServiceProvider()</c> with the rules the registrations under test rely on: instances,
/// factories and types; singletons built once; open generics closed on request; <c>IEnumerable&lt;T&gt;</c>; the
/// constructor with the most parameters that can all be satisfied, optional ones taking their default.
/// </summary>
internal sealed class ReflectionServiceProvider(IServiceCollection services) : IServiceProvider
{
    private readonly Dictionary<(ServiceDescriptor, Type), object> _singletons = [];

    public object? GetService(Type serviceType)
    {
        if (serviceType == typeof(IServiceProvider))
            return this;
        if (serviceType.IsGenericType && serviceType.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = serviceType.GetGenericArguments()[0];
            var items = Matching(element).Select(d => Create(d, element)).ToArray();
            var array = Array.CreateInstance(element, items.Length);
            items.CopyTo(array, 0);
            return array;
        }
        var last = Matching(serviceType).LastOrDefault();
        return last is null ? null : Create(last, serviceType);
    }

    private IEnumerable<ServiceDescriptor> Matching(Type type) => services.Where(d => !d.IsKeyedService &&
        (d.ServiceType == type || type.IsGenericType && d.ServiceType.IsGenericTypeDefinition && d.ServiceType == type.GetGenericTypeDefinition()));

    private object Create(ServiceDescriptor descriptor, Type requested)
    {
        var key = (descriptor, requested);
        if (descriptor.Lifetime != ServiceLifetime.Transient && _singletons.TryGetValue(key, out var existing))
            return existing;
        var instance = descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(this)
            ?? Construct(descriptor.ImplementationType!.IsGenericTypeDefinition
                ? descriptor.ImplementationType.MakeGenericType(requested.GetGenericArguments())
                : descriptor.ImplementationType);
        if (descriptor.Lifetime != ServiceLifetime.Transient)
            _singletons[key] = instance;
        return instance;
    }

    private object Construct(Type type)
    {
        foreach (var constructor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = constructor.GetParameters();
            var arguments = new object?[parameters.Length];
            var satisfied = true;
            for (var i = 0; i < parameters.Length && satisfied; i++)
            {
                arguments[i] = GetService(parameters[i].ParameterType);
                if (arguments[i] is null)
                {
                    if (parameters[i].HasDefaultValue)
                        arguments[i] = parameters[i].DefaultValue;
                    else
                        satisfied = false;
                }
            }
            if (satisfied)
                return constructor.Invoke(arguments);
        }
        throw new InvalidOperationException($"No constructor of {type} can be satisfied from the registrations.");
    }
}
