//! ImageLocality (k/k `plugins/imagelocality/image_locality.go`): favours nodes that already
//! report the pod's images. Each present image adds size × (nodes having it / all nodes); the
//! sum is clamped to [23 MiB, 1000 MiB × containers] and scaled to 0..=100.

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
pub const MIN_THRESHOLD: i64 = 23 * MB;
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// `scaledImageScore`: the image size scaled by how widely it is already spread.
pub fn scaled_image_score(size: u64, nodes_with_image: u32, total_nodes: u32) -> i64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = nodes_with_image as f64 / total_nodes as f64;
    (size as f64 * spread) as i64
}

/// `calculatePriority`: clamp the summed scores and scale them to 0..=100.
pub fn calculate_priority(sum: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers.max(1) as i64;
    let s = sum.clamp(MIN_THRESHOLD, max_threshold);
    super::MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_image_on_every_node_saturates_and_a_small_one_scores_zero() {
        // 3.1 GB present on 10 of 10 nodes: 3.1e9 > 1000 MiB → clamped → 100.
        let s = scaled_image_score(3_100_000_000, 10, 10);
        assert_eq!(calculate_priority(s, 1), 100);
        // 20 MiB is under the 23 MiB floor → 0.
        let s = scaled_image_score(20 * MB as u64, 10, 10);
        assert_eq!(calculate_priority(s, 1), 0);
    }

    #[test]
    fn spread_scales_the_size() {
        // 1000 MiB on 1 of 4 nodes counts as 250 MiB:
        // 100 × (250 − 23) / (1000 − 23) = 22700 / 977 = 23 (integer division).
        let s = scaled_image_score(1000 * MB as u64, 1, 4);
        assert_eq!(s, 250 * MB);
        assert_eq!(calculate_priority(s, 1), 23);
        // Two containers double the ceiling: 100 × (250 − 23) / (2000 − 23) = 11.
        assert_eq!(calculate_priority(s, 2), 11);
    }
}
