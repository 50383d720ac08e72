using System.Net;

namespace EdgePortal.Runtime.Kubernetes.Tests.Checkpoint;

/// <summary>Each answer the kubelet gives to the agent's checkpoint request, in an operator's words.</summary>
public sealed class CheckpointErrorsTests
{
    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "Unauthorized", "service account token")]
    [InlineData(HttpStatusCode.Forbidden, "Forbidden (user=system:serviceaccount:edgeportal:edgeportal-agent, verb=create, resource=nodes, subresource=checkpoint)", "lacks create on nodes/checkpoint")]
    [InlineData(HttpStatusCode.NotFound, "404 page not found", "feature gate")]
    [InlineData(HttpStatusCode.NotFound, "container counter does not exist", "no such pod or container")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing of default/counter/counter failed (rpc error: code = Unknown desc = CRIU binary not found or too old)", "CRIU")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing of default/counter/counter failed (rpc error: code = Unimplemented desc = unknown method CheckpointContainer)", "enable_criu_support")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing failed: disk full", "reported an error")]
    [InlineData(HttpStatusCode.NotFound, "pod does not exist", "no such pod or container")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing of default/counter/counter failed (rpc error: code = Unknown desc = failed to checkpoint container 3f2a: criu failed: type DUMP errno 0\nlog file: /var/lib/containers/storage/overlay-containers/3f2a/userdata/dump.log)", "the dump itself failed — CRIU is installed")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing of default/counter/counter failed (rpc error: code = Unknown desc = checkpoint/restore support not available)", "enable_criu_support = true in [crio.runtime]")]
    [InlineData(HttpStatusCode.InternalServerError, "checkpointing of default/counter/counter failed (rpc error: code = DeadlineExceeded desc = context deadline exceeded)", "runtimeRequestTimeout")]
    public void Describe_Answer_NamesTheCauseAndQuotesTheCluster(HttpStatusCode status, string body, string expected)
    {
        var message = CheckpointErrors.Describe(status, body, "edge-1", "default", "counter", "counter");

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Contains("default/counter/counter on node edge-1", message, StringComparison.Ordinal);
        Assert.Contains("The cluster said:", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_StatusJson_IsItsMessage() =>
        Assert.Equal("too old", CheckpointErrors.Message("""{"kind":"Status","message":"too old"}"""));
}
